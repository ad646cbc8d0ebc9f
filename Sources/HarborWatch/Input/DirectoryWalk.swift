/// The log files under a directory, found recursively (hidden entries skipped, symbolic links followed once).
struct DirectoryWalk {
    /// Log files as paths relative to the root (`hub-1/nginx/access.log`), sorted by directory walk order.
    private(set) var files: [String] = []
    /// Directories that could not be listed.
    private(set) var errors: [InputError] = []
    private var visited: Set<[UInt64]> = []

    /// Walks `root`, naming unreadable directories with `displayRoot` as their prefix.
    init(root: String, displayRoot: String) {
        walk(root, relative: "", display: displayRoot)
    }

    private mutating func walk(_ directory: String, relative: String, display: String) {
        if let identity = FileSystemProbe.identity(of: directory) {
            guard visited.insert(identity).inserted else { return }
        }
        let names: [String]
        switch FileSystemProbe.entries(of: directory) {
        case .success(let found): names = found
        case .failure(let error):
            errors.append(InputError(error.kind, path: display, reason: error.reason))
            return
        }
        for name in names {
            let path = directory + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            switch FileSystemProbe.kind(of: path) {
            case .directory: walk(path, relative: rel, display: PathText.join(display, name))
            case .file: if LogFileName.isLog(name) { files.append(rel) }
            case .missing: continue
            }
        }
    }
}
