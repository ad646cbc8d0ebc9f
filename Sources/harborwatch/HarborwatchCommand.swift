import ArgumentParser
import HarborWatch

@main
struct HarborwatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "harborwatch",
        abstract: "Reads Harbor registry logs and tells when pushes and pulls fail, and why.",
        version: HarborWatch.version,
        subcommands: [AnalyzeCommand.self, WatchCommand.self, ParseCommand.self, RulesCommand.self, FormatsCommand.self]
    )
}
