/// Reads every source of a run, in order, after learning each site's syslog clock.
public struct ParseRun {
    /// The sources, resolved from the CLI's inputs.
    public let sources: [ResolvedSource]
    /// Parse options.
    public let options: ParseOptions
    /// Options of particular sites (the rules file's per-site formats and zones).
    public var siteOptions: [String: ParseOptions] = [:]

    /// A run over `sources`.
    public init(sources: [ResolvedSource], options: ParseOptions) {
        self.sources = sources
        self.options = options
    }

    /// Runners for every source, with clock hints shared within each site.
    public func runners() -> [SourceRunner] {
        var probes: [String: ClockProbe] = [:]
        var siteOffsets: [String: [Int]] = [:]
        var siteReference: [String: Int64] = [:]
        for s in sources where !s.isStdin {
            for f in s.files {
                let p = ClockProbe.probe(path: f, options: siteOptions[s.site] ?? options, hint: s.componentHint)
                probes[f] = p
                siteOffsets[s.site, default: []] += p.offsets
                if siteReference[s.site] == nil, let r = p.reference { siteReference[s.site] = r }
            }
        }
        return sources.map { s in
            var r = SourceRunner(source: s, options: siteOptions[s.site] ?? options)
            r.probes = probes
            r.siteOffset = ClockProbe.median(siteOffsets[s.site] ?? [])
            r.siteReference = siteReference[s.site]
            return r
        }
    }

    /// Reads all sources one after the other; returns the stats of each.
    public func run(_ emit: (inout Event) -> Void) -> [SourceStats] {
        runners().map { $0.run(emit) }
    }
}
