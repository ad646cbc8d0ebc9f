import ArgumentParser
import HarborWatch

struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print every log line as one JSON event per line (NDJSON), and a summary on stderr."
    )

    @OptionGroup var input: InputOptions

    @Flag(help: "Count only: print the summary, not the events.")
    var count = false

    func run() throws {
        let options = try input.parseOptions()
        let resolution = InputResolver().resolve(try input.specs())
        let out = OutputBuffer(fd: 1)
        var writer = JSONWriter()
        let countOnly = count  // read the flag once, not per event
        let stats = ParseRun(sources: resolution.sources, options: options).run { e in
            guard !countOnly else { return }
            EventJSON.write(e, to: &writer)
            writer.bytes.append(0x0A)
            if writer.bytes.count >= 1 << 16 {
                out.write(writer.bytes)
                writer.bytes.removeAll(keepingCapacity: true)
            }
        }
        out.write(writer.bytes)
        out.flush()
        StandardError.write(ParseSummary.render(stats, inputErrors: resolution.errors))
        let failed = !resolution.errors.isEmpty || stats.contains { !$0.errors.isEmpty || !$0.warnings.isEmpty }
        if failed { throw ExitCode(1) }
    }
}
