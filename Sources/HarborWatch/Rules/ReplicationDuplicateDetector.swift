/// `replication_duplicate`: the same artifact replicated more than once within a window — the
/// storm of two Harbors sharing one database, where every push fires the policies of both.
///
/// Two kinds of evidence, both counted per artifact: replication jobs in jobservice logs (each
/// job that copies or checks the artifact, retries of one job not counted twice, a job seen in both
/// `jobservice.log` and its own job log counted once), and bursts of replication-client requests
/// for the artifact on a secondary's front door (a burst ends after `burst_gap_secs` of quiet).
public final class ReplicationDuplicateDetector: Detector {
    public let id = "replication_duplicate"
    let settings: DetectorSettings

    struct JobRun {
        var site: String
        var jobId: String
        var start: Int64
        var outcome = "started"
        var evidence: [Evidence]
    }

    struct WriteRun {
        var site: String
        var start: Int64
        var last: Int64
        var wrote = false
        var ended = false
        var requests = 0
        var evidence: [Evidence]
    }

    private var jobRuns: [String: [JobRun]] = [:]  // artifact → runs
    private var writeRuns: [String: [WriteRun]] = [:]  // artifact → runs (all secondaries)
    private var currentJob: [String: (id: String, retry: Bool)] = [:]  // site → job
    private var lastArtifact: [String: String] = [:]  // site+job → artifact of its last copy line
    private var openRun: [String: String] = [:]  // site+repository → artifact of its latest write run
    private var counter = 0

    init(settings: DetectorSettings) { self.settings = settings }

    public func observe(_ e: Event, _ ctx: AnalysisContext) {
        if e.component == .jobservice || e.component == .job {
            job(e)
        } else if ctx.isSecondary(e.site), ctx.isFront(e), e.isReplicator, let repo = e.repository {
            write(e, repo: repo)
        }
        counter += 1
        if counter >= 50_000 { counter = 0; sweep(ctx) }
    }

    private func job(_ e: Event) {
        switch e.jobAction {
        case .incoming:
            guard e.jobName == nil || e.jobName == "REPLICATION", let id = e.jobId else { return }
            currentJob[e.site] = (id, (Int(e.fields["fails"] ?? "0") ?? 0) > 0)
        case .retrying:
            if let id = e.jobId { currentJob[e.site] = (id, true) }
        case .copyingReference:
            guard let repo = e.repository, let ref = e.reference else { return }
            let jobId = e.jobId ?? currentJob[e.site]?.id ?? "\(e.site)-\(e.time)"
            let retry = e.jobId == nil && currentJob[e.site]?.retry == true
            let artifact = repo + ":" + ref
            lastArtifact[e.site + " " + jobId] = artifact
            var runs = jobRuns[artifact, default: []]
            if let i = runs.firstIndex(where: { $0.jobId == jobId }) {
                if runs[i].evidence.count < 6 { runs[i].evidence.append(Evidence(e)) }
            } else if retry, runs.contains(where: { $0.site == e.site }) {
                // a retry of a job already counted
            } else {
                runs.append(JobRun(site: e.site, jobId: jobId, start: e.time, evidence: [Evidence(e)]))
            }
            jobRuns[artifact] = runs
        case .artifactExists, .manifestPushed, .copyFailed, .jobFailed:
            let jobId = e.jobId ?? currentJob[e.site]?.id ?? ""
            let artifact: String
            if let repo = e.repository, let ref = e.reference, e.jobAction != .jobFailed {
                artifact = repo + ":" + ref
            } else if let a = lastArtifact[e.site + " " + jobId] {
                artifact = a
            } else {
                return
            }
            guard var runs = jobRuns[artifact], let i = runs.lastIndex(where: { $0.jobId == jobId || e.jobId == nil && $0.site == e.site }) else { return }
            let outcome: String
            switch e.jobAction {
            case .artifactExists: outcome = "skipped: already exists on the destination"
            case .manifestPushed: outcome = "copied"
            default: outcome = "failed"
            }
            if runs[i].outcome == "started" || outcome == "failed" { runs[i].outcome = outcome }
            if runs[i].evidence.count < 6 { runs[i].evidence.append(Evidence(e)) }
            jobRuns[artifact] = runs
        default:
            break
        }
    }

    /// A run starts with the replication client's manifest check and ends with the manifest written
    /// (PUT 2xx) or found already there (HEAD/GET 200); blob requests in between belong to it.
    ///
    /// The runs are changed where they are (`&writeRuns[…]` is an in-place access): a copy of the
    /// list out and back made the dictionary's list shared, so the first change copied it whole
    /// (runs, evidence and all) at every request of the replication client.
    private func write(_ e: Event, repo: String) {
        if e.kind == .manifest, let ref = e.reference, !ref.hasASCIIPrefix("sha256:") {
            let artifact = repo + ":" + ref
            Self.record(e, in: &writeRuns[artifact, default: []], window: nanos(settings.duplicateWindowSecs))
            openRun[e.site + " " + repo] = artifact
        } else if let artifact = openRun[e.site + " " + repo], writeRuns[artifact] != nil {
            Self.extend(&writeRuns[artifact]!, e)
        }
    }

    /// A manifest request of the replication client: the site's open run goes on, or a new one starts.
    private static func record(_ e: Event, in runs: inout [WriteRun], window: Int64) {
        let ok = e.status >= 200 && e.status < 300
        if let i = runs.lastIndex(where: { $0.site == e.site }), !runs[i].ended, e.time - runs[i].last <= window {
            runs[i].last = e.time
            runs[i].requests += 1
            if e.methodCode == .put, ok { runs[i].wrote = true; runs[i].ended = true; runs[i].evidence.append(Evidence(e)) }
            if e.isRead, ok { runs[i].ended = true }
        } else {
            var run = WriteRun(site: e.site, start: e.time, last: e.time, requests: 1, evidence: [Evidence(e)])
            if e.methodCode == .put, ok { run.wrote = true; run.ended = true }
            if e.isRead, ok { run.ended = true }
            runs.append(run)
        }
    }

    /// A blob request of the replication client, inside the site's open run if it has one.
    private static func extend(_ runs: inout [WriteRun], _ e: Event) {
        guard let i = runs.lastIndex(where: { $0.site == e.site }), !runs[i].ended else { return }
        runs[i].last = e.time
        runs[i].requests += 1
    }

    private func sweep(_ ctx: AnalysisContext) {
        let horizon = ctx.now - 2 * nanos(settings.duplicateWindowSecs) - nanos(settings.retentionSecs)
        jobRuns = jobRuns.filter { $0.value.last.map { $0.start >= horizon } ?? false }
        writeRuns = writeRuns.filter { $0.value.last.map { $0.last >= horizon } ?? false }
        openRun = openRun.filter { writeRuns[$0.value] != nil }
    }

    public func finish(_ ctx: AnalysisContext) -> [Finding] {
        let window = nanos(settings.duplicateWindowSecs)
        var out: [Finding] = []
        // A group needs two jobs or two writes: artifacts with fewer are not even sorted (a stream
        // asks for the findings at every look).
        // (Only the keys are collected: `filter` on a Dictionary built a copy of each table.)
        var candidates = Set(jobRuns.compactMap { $0.value.count >= 2 ? $0.key : nil })
        for (artifact, runs) in writeRuns where runs.count >= 2 { candidates.insert(artifact) }
        for artifact in candidates.sorted() {
            let jobs = (jobRuns[artifact] ?? []).sorted { ($0.start, $0.site) < ($1.start, $1.site) }
            let writes = (writeRuns[artifact] ?? []).sorted { ($0.start, $0.site) < ($1.start, $1.site) }
            // Cluster by the window, starting at each group's first run.
            var starts = (jobs.map(\.start) + writes.map(\.start)).sorted()
            while let first = starts.first {
                let groupJobs = jobs.filter { $0.start >= first && $0.start - first <= window }
                let groupWrites = writes.filter { $0.start >= first && $0.start - first <= window }
                starts.removeAll { $0 - first <= window }
                let count = max(groupJobs.count, groupWrites.count)
                guard count >= 2 else { continue }
                let colon = artifact.lastIndex(of: ":")!
                let repo = String(artifact[..<colon]), ref = String(artifact[artifact.index(after: colon)...])
                let site = groupWrites.first?.site ?? ctx.sites.first { ctx.isSecondary($0) } ?? ctx.primary
                var ev: [Evidence] = []
                for j in groupJobs { ev += j.evidence }
                for w in groupWrites { ev += w.evidence }
                ev = Array(ev.sorted { ($0.time, $0.file, $0.line) < ($1.time, $1.file, $1.line) }.prefix(settings.evidenceLimit))
                let last = max(groupJobs.map(\.start).max() ?? first, groupWrites.map(\.last).max() ?? first)
                let jobText = groupJobs.map { "\($0.site) job \($0.jobId): \($0.outcome)" }
                out.append(
                    Finding(
                        detector: id, site: site, severity: "warning",
                        summary: "\(repo):\(ref) was replicated \(count) times within \(Report.secs(Finding.secs(first, last))) (\(groupJobs.count) replication job\(groupJobs.count == 1 ? "" : "s"), \(groupWrites.count) write burst\(groupWrites.count == 1 ? "" : "s") on the destination): policies of both Harbors fire on one shared database",
                        labels: ["detector": id, "site": site, "repository": repo, "reference": ref],
                        details: [
                            ("repository", .string(repo)), ("reference", .string(ref)), ("runs", .int(count)),
                            ("jobs", .strings(jobText)), ("job_sites", .strings(groupJobs.map(\.site))),
                            ("write_bursts", .int(groupWrites.count)), ("manifest_writes", .int(groupWrites.filter(\.wrote).count)),
                            ("first", .time(first)), ("last", .time(last)),
                        ],
                        firstSeen: first, lastSeen: last, resolvedAt: ctx.now >= last + window ? last + window : nil, count: count, evidence: ev))
            }
        }
        return out
    }
}
