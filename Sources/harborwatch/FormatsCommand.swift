import ArgumentParser
import HarborWatch

struct FormatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "formats",
        abstract: "List the log formats harborwatch reads, each with an example line."
    )

    func run() throws {
        print(FormatCatalog.render())
    }
}
