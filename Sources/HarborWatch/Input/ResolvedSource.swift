/// One stream to read: a single file, stdin, or a rotated set read oldest first as one stream.
public struct ResolvedSource: Sendable, Hashable {
    /// The site (data center) the lines come from (`hub-1`, `default` for stdin).
    public var site: String
    /// The component the file name suggests (`proxy.log` → `.proxy`), nil when it says nothing.
    public var componentHint: Component?
    /// The files to read in order, oldest first (`proxy.log.2.gz`, `proxy.log.1.gz`, `proxy.log`); `["-"]` for stdin.
    public var files: [String]
    /// The live file's path (`samples/hub-1/proxy.log`), even when only rotated members exist; `-` for stdin.
    public var name: String
    /// True when the source is standard input.
    public var isStdin: Bool

    /// A source with every field given.
    public init(site: String, componentHint: Component?, files: [String], name: String, isStdin: Bool = false) {
        self.site = site
        self.componentHint = componentHint
        self.files = files
        self.name = name
        self.isStdin = isStdin
    }
}

/// What `InputResolver` made of the inputs: the sources to read and the inputs it could not use.
public struct InputResolution: Sendable, Hashable {
    /// Sources sorted by site, then name.
    public var sources: [ResolvedSource]
    /// One error per path that does not exist, glob that matches nothing, or directory that cannot be read.
    public var errors: [InputError]
}
