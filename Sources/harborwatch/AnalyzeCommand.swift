import ArgumentParser
import HarborWatch

#if canImport(Glibc)
import Glibc
#endif

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Read logs of one or more sites, merged in event time, and report failed pushes, missed pulls and replication trouble."
    )

    @OptionGroup var input: InputOptions

    @Option(help: "The primary site (replication source); default: the first --site, else the first site by name.")
    var primary: String?

    @Option(help: ArgumentHelp("Correct a site's clock: add SECS (e.g. hub-2=+1.5) to its times.", valueName: "SITE=SECS"))
    var clockOffset: [String] = []

    @Option(help: "How late an event may arrive behind its source's newest, in seconds, and still be merged in order.")
    var allowedLateness: Double = 5

    @Option(help: "Report format: text or json.")
    var format: String = "text"

    @Flag(help: "Read, parse and correlate on one thread (by default each source is parsed on a thread of its own while the main thread correlates).")
    var singleThread = false

    @Option(help: ArgumentHelp("Also write one NDJSON alert per finding to FILE (- for stdout).", valueName: "FILE"))
    var alerts: String?

    @Option(help: "A replication slower than this (seconds) fires replication_lag (default: the rules file's, 120).")
    var maxLag: Double?

    @Option(help: ArgumentHelp("Rules file (default: rules/default.yaml of the package, else the built-in copy).", valueName: "FILE"))
    var rules: String?

    func validate() throws {
        guard format == "text" || format == "json" else { throw ValidationError("--format must be text or json, not '\(format)'") }
        for c in clockOffset { _ = try Self.offset(c) }
        guard checkpointInterval >= 0 else { throw ValidationError("--checkpoint-interval must not be negative") }
        guard allowedLateness >= 0 else { throw ValidationError("--allowed-lateness must not be negative") }
        if let maxLag, maxLag <= 0 { throw ValidationError("--max-lag must be positive") }
    }

    static func offset(_ text: String) throws -> (String, Double) {
        guard let eq = text.firstIndex(of: "="), let v = Double(text[text.index(after: eq)...].replacingOccurrences(of: "s", with: "")) else {
            throw ValidationError("--clock-offset '\(text)' is not of the form SITE=SECS (e.g. hub-2=+1.5)")
        }
        return (String(text[..<eq]), v)
    }

    @Flag(help: "Print the exact HTTP requests the receivers would get, and send nothing.")
    var dryRun = false

    @Option(help: "Seconds to keep delivering to receivers before leaving the rest in the outbox for the next run.")
    var deliveryTimeout: Double = 30

    @Option(help: ArgumentHelp("Incremental runs (cron): keep checkpoints in DIR, read only what is new since the last run, print the alerts that fired or resolved.", valueName: "DIR"))
    var state: String?

    @Option(help: "With --state: seconds between checkpoints while reading.")
    var checkpointInterval: Double = 1

    func run() throws {
        let rulesFile: RulesFile
        do {
            if let rules { rulesFile = try RulesLoader.load(path: rules) } else { rulesFile = try RulesFiles.loadDefault() }
        } catch {
            StandardError.write(error.description + "\n")
            throw ExitCode(1)
        }
        var base = AnalyzeOptions()
        base.parse = try input.parseOptions()
        base.primary = primary ?? input.sites.first.flatMap { $0.split(separator: "=").first.map(String.init) }
        for c in clockOffset { let (s, v) = try Self.offset(c); base.clockOffsets[s] = v }
        base.allowedLatenessSecs = allowedLateness
        base.prefetch = !singleThread
        let setup = AnalyzeSetup(rules: rulesFile, specs: try input.specs(), options: base, maxLagSecs: maxLag)
        guard !setup.specs.isEmpty else { throw ValidationError("no input: give PATH arguments, --site SITE=PATH, or inputs: in the rules file") }
        if let state {
            var o = WatchOptions()
            o.analyze = setup.options
            o.follow = setup.specs
            o.stateDir = state
            o.once = true
            o.idleFlushSecs = .infinity
            o.checkpointIntervalSecs = checkpointInterval
            o.alertsPath = alerts
            let sink = TerminalSink(color: isatty(1) != 0 && getenv("NO_COLOR") == nil, alertsPath: alerts == "-" ? nil : alerts)
            if !rulesFile.receivers.isEmpty, !dryRun { sink.queue = try OutboxQueue(rules: rulesFile, state: state) }
            let runner = WatchRunner(options: o, rules: rulesFile, sink: sink) { text, newline in
                StandardError.write(newline ? "harborwatch: \(text)\n" : text)
            }
            _ = try runner.run()
            if let queue = sink.queue {
                if let error = sink.queueError { throw error }
                try queue.finish(timeout: deliveryTimeout)
            } else if !rulesFile.receivers.isEmpty {
                try Delivery.send(sink.collected, rules: rulesFile, dryRun: dryRun, timeout: deliveryTimeout, state: state)
            }
            return
        }
        let resolution = InputResolver().resolve(setup.specs)
        if let p = setup.options.primary, !resolution.sources.contains(where: { $0.site == p }) {
            throw ValidationError("--primary \(p) names no site of the inputs (sites: \(Set(resolution.sources.map(\.site)).sorted().joined(separator: ", ")))")
        }
        let builder = AlertBuilder(rules: rulesFile)
        let analysis = Analyzer.run(sources: resolution.sources, inputErrors: resolution.errors, options: setup.options).applying(builder)
        // Alerts only when they go somewhere (a big run's are megabytes).
        let alertList = alerts != nil || !rulesFile.receivers.isEmpty ? analysis.findings.map(builder.alert) : []
        let out = OutputBuffer(fd: 1)
        if format == "json" {
            AnalysisJSON.write(analysis) { out.write($0) }
        } else {
            let color = isatty(1) != 0 && getenv("NO_COLOR") == nil
            out.write(Array(AnalysisReport.text(analysis, color: color).utf8))
        }
        if let alerts {
            let bytes = AnalysisJSON.alerts(alertList)
            if alerts == "-" {
                out.write(bytes)
            } else if !FileOutput.write(bytes, to: alerts) {
                throw ValidationError("cannot write alerts to \(alerts)")
            }
        }
        if !rulesFile.receivers.isEmpty {
            let notifications = Router(rules: rulesFile).schedule(alertList, end: analysis.end).map(\.notification)
            try Delivery.send(notifications, rules: rulesFile, dryRun: dryRun, timeout: deliveryTimeout, state: nil)
        }
        let failed = !resolution.errors.isEmpty || analysis.parse.contains { !$0.errors.isEmpty || !$0.warnings.isEmpty }
        if failed { throw ExitCode(1) }
    }
}
