import ArgumentParser
import HarborWatch

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check rules files and run their tests.",
        subcommands: [RulesCheckCommand.self, RulesTestCommand.self]
    )
}

struct RulesCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report every problem of rules files as file:line:column: error: message; exit 1 if any."
    )

    @Argument(help: "Rules files or directories of them.")
    var paths: [String]

    func run() throws {
        var failed = false
        for f in RulesFiles.expand(paths) {
            do {
                let r = try RulesLoader.load(path: f)
                print("\(f): ok (\(r.rules.count) rules, \(r.receivers.count) receivers, \(r.tests.count) tests)")
            } catch {
                failed = true
                StandardError.write(error.description + "\n")
            }
        }
        if failed { throw ExitCode(1) }
    }
}

struct RulesTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests: sections of rules files; a failing test prints the difference."
    )

    @Argument(help: "Rules files or directories of them.")
    var paths: [String]

    func run() throws {
        var passed = 0, failed = 0
        for f in RulesFiles.expand(paths) {
            let rules: RulesFile
            do { rules = try RulesLoader.load(path: f) } catch {
                StandardError.write(error.description + "\n")
                failed += 1
                continue
            }
            for o in RuleTestRunner.run(rules) {
                if o.passed {
                    passed += 1
                    print("ok    \(f):\(o.line): \(o.name)")
                } else {
                    failed += 1
                    print("FAIL  \(f):\(o.line): \(o.name)")
                    for p in o.problems { print("      " + p) }
                }
            }
        }
        print("\(passed) passed, \(failed) failed")
        if failed > 0 { throw ExitCode(1) }
    }
}
