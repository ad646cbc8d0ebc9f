#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file-system questions `InputResolver` asks: what a path is, its real path, directory listings, globs.
enum FileSystemProbe {
    /// What a path names, following symbolic links.
    enum Kind: Equatable {
        case file
        case directory
        case missing(errno: Int32)
    }

    static func kind(of path: String) -> Kind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing(errno: errno) }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }

    /// The canonical absolute path (symbolic links resolved), or nil when it cannot be made.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The current directory, used to name sites of relative paths like `.`.
    static var currentDirectory: String {
        guard let cwd = getcwd(nil, 0) else { return "/" }
        defer { free(cwd) }
        return String(cString: cwd)
    }

    /// Paths matching the glob `pattern`, sorted; empty when none match.
    static func glob(_ pattern: String) -> [String] {
        var matches = glob_t()
        defer { globfree(&matches) }
        guard systemGlob(pattern, &matches) == 0 else { return [] }
        return (0..<Int(matches.gl_pathc)).compactMap { index in
            matches.gl_pathv[index].map { String(cString: $0) }
        }
    }

    /// True when `path` contains glob metacharacters.
    static func isPattern(_ path: String) -> Bool {
        path.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    /// The non-hidden entries of a directory, sorted, or the `errno` of `opendir`.
    static func entries(of directory: String) -> Result<[String], InputError> {
        guard let handle = opendir(directory) else {
            return .failure(InputError(.cannotList, path: directory, errno: errno))
        }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if !name.hasPrefix(".") { names.append(name) }
        }
        return .success(names.sorted())
    }

    /// Identity of a directory (device, inode), to walk each directory once even through symbolic links.
    static func identity(of path: String) -> [UInt64]? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return [UInt64(info.st_dev), UInt64(info.st_ino)]
    }
}

/// `glob(3)` with default flags, reachable from inside `FileSystemProbe` whose own `glob` hides it.
private func systemGlob(_ pattern: String, _ matches: inout glob_t) -> Int32 {
    glob(pattern, 0, nil, &matches)
}
