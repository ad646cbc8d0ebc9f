import ArgumentParser
import Foundation
import HarborWatch

struct WatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Follow logs live (stdin or files across rotation) and fire and resolve alerts as they happen."
    )

    @OptionGroup var input: InputOptions

    @Option(help: ArgumentHelp("Follow a file, directory or glob (repeatable; SITE=PATH names the site).", valueName: "PATH"))
    var follow: [String] = []

    @Option(help: "Site of the lines on stdin.")
    var stdinSite: String = "default"

    @Option(help: ArgumentHelp("Component of the lines on stdin (proxy, core, registry …), when they carry no syslog tag.", valueName: "NAME"))
    var stdinComponent: String?

    @Option(help: "plain, or prefixed: each stdin line starts with 'SITE[/COMPONENT] '.")
    var stdinFormat: String = "plain"

    @Flag(help: "Read followed files from their start (default: from their end, like tail -F).")
    var fromStart = false

    @Option(help: ArgumentHelp("Keep checkpoints in DIR and resume from them.", valueName: "DIR"))
    var state: String?

    @Option(help: "Seconds of quiet after which the event clock moves on by wall time.")
    var idleFlushSecs: Double = 30

    @Option(help: "Seconds between checkpoints (with --state) and metrics file rewrites.")
    var checkpointInterval: Double = 1

    @Option(help: "Seconds a line cut mid-way by its writer waits for its newline before it is read as it is.")
    var partialLineTimeoutSecs: Double = 30

    @Option(help: "Seconds of recent input re-read silently after a restart to rebuild the correlation state (this much before the oldest alert still open, up to the detectors' retention, when one is).")
    var replaySecs: Double = 900

    @Option(help: ArgumentHelp("Rules file (default: rules/default.yaml of the package, else the built-in copy).", valueName: "FILE"))
    var rules: String?

    @Option(help: ArgumentHelp("Append every alert transition as NDJSON to FILE.", valueName: "FILE"))
    var alerts: String?

    @Option(help: ArgumentHelp("Write every new event as NDJSON to FILE (exactly once across restarts with --state).", valueName: "FILE"))
    var events: String?

    @Option(help: ArgumentHelp("Rewrite FILE with Prometheus text metrics.", valueName: "FILE"))
    var metricsFile: String?

    @Option(help: "The primary site.")
    var primary: String?

    @Option(help: "Stop after this many seconds (for tests and trials).")
    var maxRuntime: Double?

    func validate() throws {
        guard stdinFormat == "plain" || stdinFormat == "prefixed" else { throw ValidationError("--stdin-format must be plain or prefixed") }
        guard checkpointInterval >= 0 else { throw ValidationError("--checkpoint-interval must not be negative") }
        if let c = stdinComponent, Component(rawValue: c) == nil { throw ValidationError("--stdin-component '\(c)' is not a component") }
        guard partialLineTimeoutSecs > 0 else { throw ValidationError("--partial-line-timeout-secs must be more than 0") }
        guard !follow.isEmpty || input.paths.contains("-") || !input.paths.isEmpty else {
            throw ValidationError("nothing to watch: give - for stdin, or --follow PATH")
        }
    }

    func run() throws {
        let load: () throws -> RulesFile = {
            if let rules = self.rules { return try RulesLoader.load(path: rules) }
            return try RulesFiles.loadDefault()
        }
        let rulesFile: RulesFile
        do { rulesFile = try load() } catch {
            StandardError.write("\(error)\n")
            throw ExitCode(1)
        }
        var base = AnalyzeOptions()
        base.parse = try input.parseOptions()
        base.primary = primary
        var o = WatchOptions()
        o.analyze = AnalyzeSetup(rules: rulesFile, specs: [], options: base, maxLagSecs: nil).options
        o.stdin = input.paths.contains("-")
        o.stdinSite = stdinSite
        o.stdinComponent = stdinComponent.flatMap(Component.init(rawValue:))
        o.stdinPrefixed = stdinFormat == "prefixed"
        o.follow = follow.map { f in
            if f.contains("="), let spec = try? InputSetup.siteSpec(f) { return spec }
            return InputSpec(path: f)
        } + (try input.specs()).filter { $0.path != "-" }
        o.fromStart = fromStart
        o.stateDir = state
        o.idleFlushSecs = idleFlushSecs
        o.checkpointIntervalSecs = checkpointInterval
        o.partialLineTimeoutSecs = partialLineTimeoutSecs
        o.replaySecs = replaySecs
        o.eventsPath = events
        o.alertsPath = alerts
        o.metricsPath = metricsFile
        o.maxRuntimeSecs = maxRuntime
        o.color = isatty(1) != 0 && getenv("NO_COLOR") == nil
        var worker: DeliveryWorker?
        if !rulesFile.receivers.isEmpty {
            let outbox = try Outbox(dir: Delivery.outboxDir(rulesFile, state: state))
            let d = Deliverer(outbox: outbox, receivers: rulesFile.receivers, maxAgeSecs: rulesFile.outbox?.maxAgeSecs ?? 86_400)
            worker = DeliveryWorker(deliverer: d) { StandardError.write("harborwatch: \($0)\n") }
            worker?.start()
        }
        let sink = TerminalSink(color: o.color, alertsPath: alerts, worker: worker)
        WatchSignals.install()
        o.statusLine = isatty(2) != 0
        let runner = WatchRunner(options: o, rules: rulesFile, sink: sink, reloadRules: load) { text, newline in
            StandardError.write(newline ? "harborwatch: \(text)\n" : text)
        }
        let status = try runner.run()
        worker?.stop()
        if status != 0 { throw ExitCode(status) }
    }
}

/// Alert transitions on stdout (and as NDJSON in a file); due notifications on stderr.
final class TerminalSink: WatchSink {
    let color: Bool
    let alertsFD: Int32
    let worker: DeliveryWorker?

    init(color: Bool, alertsPath: String?, worker: DeliveryWorker? = nil) {
        self.color = color
        self.worker = worker
        alertsFD = alertsPath.map { open($0, O_WRONLY | O_CREAT | O_APPEND, 0o644) } ?? -1
    }

    func alert(_ a: Alert) {
        OutputBuffer(fd: 1).write(Array((AlertLine.render(a, color: color) + "\n").utf8))
        if alertsFD >= 0 { OutputBuffer(fd: alertsFD).write(AnalysisJSON.alerts([a])) }
    }

    /// Notifications kept for delivery after a run (`--dry-run`), when there is no worker or queue.
    var collected: [AlertNotification] = []
    /// The outbox a run writes to as it goes (`analyze --state`), and the first error it gave.
    var queue: OutboxQueue?
    var queueError: Error?

    func notify(_ n: AlertNotification, at: Int64) {
        if let worker {
            worker.enqueue(n)
        } else if let queue {
            do { try queue.add(n) } catch { if queueError == nil { queueError = error } }
        } else {
            collected.append(n)
        }
    }
}
