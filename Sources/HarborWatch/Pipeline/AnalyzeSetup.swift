/// Combines the command line and a rules file into what an analysis reads and how.
///
/// The command line wins: its paths replace the rules file's `inputs:` paths, its `--primary`,
/// `--clock-offset` and `--max-lag` replace the file's values.
public struct AnalyzeSetup: Sendable {
    /// The options.
    public var options: AnalyzeOptions
    /// The inputs.
    public var specs: [InputSpec]

    /// The setup for `rules` and the command line's `specs` and `options` (`maxLag` when given there).
    public init(rules: RulesFile, specs cli: [InputSpec], options base: AnalyzeOptions, maxLagSecs: Double?) {
        var o = base
        o.detectors = rules.detectors
        if let maxLagSecs { o.detectors.maxLagSecs = maxLagSecs }
        o.userRules = rules.rules
        if o.primary == nil { o.primary = rules.sites.first { $0.role == "primary" }?.name }
        for s in rules.sites {
            if o.clockOffsets[s.name] == nil, s.clockOffsetSecs != 0 { o.clockOffsets[s.name] = s.clockOffsetSecs }
            var p = base.parse
            var differs = false
            if let f = s.nginxLogFormat, let fmt = try? NginxLogFormat.parse(directive: f) {
                p.nginxFormats = [fmt] + p.nginxFormats
                differs = true
            }
            if base.parse.syslogZone == nil, let z = s.syslogZone.flatMap(SyslogZone.init) {
                p.syslogZone = z
                differs = true
            }
            if base.parse.inputFormat == .auto, let f = InputFormat(rawValue: s.inputFormat), f != .auto {
                p.inputFormat = f
                differs = true
            }
            if differs { o.siteParse[s.name] = p }
        }
        options = o
        specs = cli.isEmpty ? rules.sites.flatMap { s in s.paths.map { InputSpec(path: $0, site: s.name) } } : cli
    }
}
