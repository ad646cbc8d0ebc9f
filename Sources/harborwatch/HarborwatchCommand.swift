import ArgumentParser
import CJemalloc
import HarborWatch

@main
struct HarborwatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harborwatch",
        abstract: "Reads Harbor registry logs and tells when pushes and pulls fail, and why.",
        version: "\(HarborWatch.version) (jemalloc \(String(cString: harborwatch_jemalloc_version()).prefix { $0 != "-" }))",
        subcommands: [AnalyzeCommand.self, WatchCommand.self, ParseCommand.self, RulesCommand.self, FormatsCommand.self]
    )

    static func main() {
        harborwatch_jemalloc_tune()
        Allocator.purge = { harborwatch_jemalloc_purge() }
        main(nil)
    }
}
