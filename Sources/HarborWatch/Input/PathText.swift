/// Lexical path helpers: joining, splitting and the site name a path implies.
enum PathText {
    /// Parent directories that never name a site; a file's site is looked up above them.
    static let nonSiteDirectories: Set<String> = ["nginx", "job_logs", "jobs", "log", "logs"]

    /// `directory/name`, without a doubled slash and without a leading `./` for `.`.
    static func join(_ directory: String, _ name: String) -> String {
        if directory == "." || directory.isEmpty { return name }
        return directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// The path without trailing slashes (`/` stays `/`).
    static func trimmed(_ path: String) -> String {
        var text = Substring(path)
        while text.count > 1 && text.hasSuffix("/") { text = text.dropLast() }
        return String(text)
    }

    /// The directory part (`samples/hub-1` of `samples/hub-1/proxy.log`; `""` when there is none).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component (`proxy.log` of `samples/hub-1/proxy.log`).
    static func fileName(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The components of `path` made absolute against `cwd`, with `.` and `..` resolved lexically.
    static func absoluteComponents(_ path: String, cwd: String) -> [String] {
        let full = path.hasPrefix("/") ? path : cwd + "/" + path
        var parts: [String] = []
        for part in full.split(separator: "/") {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(String(part))
            }
        }
        return parts
    }

    /// The site a directory given on the command line names: its own name (`.` resolved), `default` for `/`.
    static func siteOfDirectory(_ path: String, cwd: String) -> String {
        absoluteComponents(path, cwd: cwd).last ?? "default"
    }

    /// The site a file given on the command line names: its parent directory's name, skipping `nginx`, `logs` ….
    static func siteOfFile(_ path: String, cwd: String) -> String {
        var parts = absoluteComponents(path, cwd: cwd)
        if !parts.isEmpty { parts.removeLast() }
        return parts.last { !nonSiteDirectories.contains($0) } ?? "default"
    }
}
