import ArgumentParser
import HarborWatch

/// Input flags shared by every command that reads logs.
struct InputOptions: ParsableArguments {
    @Option(name: .customLong("site"), help: ArgumentHelp("Read PATH (file, directory or glob) as site SITE.", valueName: "SITE=PATH"))
    var sites: [String] = []

    @Option(help: ArgumentHelp("Force one format for every line (\(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))).", valueName: "NAME"))
    var inputFormat: String = "auto"

    @Option(help: ArgumentHelp("An nginx log_format directive or format string, or a file holding log_format directives.", valueName: "FORMAT|FILE"))
    var nginxFormat: [String] = []

    @Option(help: "Year of yearless syslog times (default: from dated lines, else the file's modification time).")
    var year: Int?

    @Option(help: ArgumentHelp("Zone of syslog prefix times: UTC, +08:00 or an IANA name (default: learned from dated lines, else UTC).", valueName: "ZONE"))
    var syslogTz: String?

    @Option(help: "Longest line read whole, in bytes; longer lines are cut and counted.")
    var maxLineLength: Int = 65_536

    @Argument(help: ArgumentHelp("Log files, directories, globs, or - for stdin.", valueName: "PATH"))
    var paths: [String] = []

    func validate() throws {
        guard InputFormat(rawValue: inputFormat) != nil else {
            throw ValidationError("--input-format '\(inputFormat)' is unknown; use one of: \(InputFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if let syslogTz, SyslogZone(syslogTz) == nil {
            throw ValidationError("--syslog-tz '\(syslogTz)' is not a zone: use UTC, an offset like +08:00, or an IANA name like Asia/Shanghai")
        }
        if let year, !(1970...9999).contains(year) { throw ValidationError("--year \(year) is out of range") }
        guard maxLineLength >= 256 else { throw ValidationError("--max-line-length must be at least 256") }

        for s in sites { _ = try wrap { try InputSetup.siteSpec(s) } }
        for f in nginxFormat { _ = try wrap { try InputSetup.nginxFormats(f) } }
    }

    /// The parse options these flags ask for.
    func parseOptions() throws -> ParseOptions {
        var o = ParseOptions()
        o.inputFormat = InputFormat(rawValue: inputFormat) ?? .auto
        o.year = year
        o.syslogZone = syslogTz.flatMap(SyslogZone.init)
        o.maxLineLength = maxLineLength
        for f in nginxFormat { o.nginxFormats += try wrap { try InputSetup.nginxFormats(f) } }
        return o
    }

    /// Every input: `--site` ones first (they win for the site of a file reached twice).
    func specs() throws -> [InputSpec] {
        try sites.map { s in try wrap { try InputSetup.siteSpec(s) } } + paths.map { InputSpec(path: $0) }
    }

    private func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let p as InputSetup.Problem { throw ValidationError(p.description) }
    }
}
