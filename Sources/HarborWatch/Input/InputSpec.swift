/// One input named on the command line: a file, directory, glob or `-` (stdin), maybe with a site.
public struct InputSpec: Sendable, Hashable {
    /// The path, directory, glob pattern or `-` as given.
    public var path: String
    /// The site from `--site NAME=PATH`; nil for a positional path (the site is then derived from the path).
    public var site: String?

    /// An input for `path`, labelled `site` when given with `--site`.
    public init(path: String, site: String? = nil) {
        self.path = path
        self.site = site
    }
}
