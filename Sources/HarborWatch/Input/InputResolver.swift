/// Turns the command line's inputs into ordered sources: files, rotated sets (oldest first) and stdin.
///
/// Directories are walked for logs, globs expanded, rotated members grouped by directory and live name,
/// and a file reached twice is read once (an explicit `--site` wins its site). Positional paths get
/// their site from the path (see `PathText`); bad inputs become `InputError`s while the rest resolves.
public struct InputResolver: Sendable {
    /// A resolver for paths relative to the current directory.
    public init() {}

    /// One file found, before duplicates are removed and rotated sets grouped.
    struct Candidate {
        var path: String
        var site: String
        var explicit: Bool
    }

    /// Resolves `specs` in order; sources come out sorted by site, then name.
    public func resolve(_ specs: [InputSpec]) -> InputResolution {
        let cwd = FileSystemProbe.currentDirectory
        var candidates: [Candidate] = []
        var errors: [InputError] = []
        var stdinSite: (site: String, explicit: Bool)?
        for spec in specs {
            if spec.path == "-" {
                if stdinSite == nil || (spec.site != nil && stdinSite?.explicit == false) {
                    stdinSite = (spec.site ?? "default", spec.site != nil)
                }
                continue
            }
            let found = expand(spec, cwd: cwd)
            candidates += found.candidates
            errors += found.errors
        }
        var sources = group(deduplicated(candidates))
        if let stdinSite {
            sources.append(ResolvedSource(site: stdinSite.site, componentHint: nil, files: ["-"], name: "-", isStdin: true))
        }
        sources.sort { ($0.site, $0.name) < ($1.site, $1.name) }
        return InputResolution(sources: sources, errors: errors)
    }

    /// The files one input names, with their sites.
    func expand(_ spec: InputSpec, cwd: String) -> (candidates: [Candidate], errors: [InputError]) {
        let path = PathText.trimmed(spec.path)
        let kind = FileSystemProbe.kind(of: path)
        if case .missing(let code) = kind {
            guard FileSystemProbe.isPattern(path) else {
                return ([], [InputError(.cannotOpen, path: spec.path, errno: code)])
            }
            var candidates: [Candidate] = []
            var errors: [InputError] = []
            for match in FileSystemProbe.glob(path) {
                if FileSystemProbe.kind(of: match) == .file, LogFileName.isExcluded(PathText.fileName(of: match)) { continue }
                let found = expand(InputSpec(path: match, site: spec.site), cwd: cwd)
                candidates += found.candidates
                errors += found.errors
            }
            if candidates.isEmpty && errors.isEmpty { errors.append(InputError(.noMatch, path: spec.path)) }
            return (candidates, errors)
        }
        guard kind == .directory else {
            let site = spec.site ?? PathText.siteOfFile(path, cwd: cwd)
            return ([Candidate(path: path, site: site, explicit: spec.site != nil)], [])
        }
        let walk = DirectoryWalk(root: path, displayRoot: path)
        if walk.files.isEmpty && walk.errors.isEmpty {
            return ([], [InputError(.noLogs, path: spec.path)])
        }
        let ownSite = spec.site ?? PathText.siteOfDirectory(path, cwd: cwd)
        let holdsLogs = walk.files.contains { !$0.contains("/") }
        let candidates = walk.files.map { relative in
            var site = ownSite
            if spec.site == nil && !holdsLogs, let first = relative.split(separator: "/").first,
                !PathText.nonSiteDirectories.contains(String(first))
            {
                site = String(first)
            }
            return Candidate(path: PathText.join(path, relative), site: site, explicit: spec.site != nil)
        }
        return (candidates, walk.errors)
    }

    /// One candidate per real file: the first reached, unless a later one carries an explicit site.
    func deduplicated(_ candidates: [Candidate]) -> [Candidate] {
        var kept: [Candidate] = []
        var indexByRealPath: [String: Int] = [:]
        for candidate in candidates {
            let key = FileSystemProbe.realPath(candidate.path) ?? candidate.path
            if let index = indexByRealPath[key] {
                if candidate.explicit && !kept[index].explicit { kept[index] = candidate }
                continue
            }
            indexByRealPath[key] = kept.count
            kept.append(candidate)
        }
        return kept
    }

    /// Rotated sets: members grouped by site, directory (compared by real path) and live name, oldest first.
    func group(_ candidates: [Candidate]) -> [ResolvedSource] {
        struct Key: Hashable {
            var site: String
            var directory: String
            var base: String
        }
        var realDirectories: [String: String] = [:]
        var names: [Key: String] = [:]
        var members: [Key: [(path: String, order: (Int, Int, String))]] = [:]
        for candidate in candidates {
            let directory = PathText.directory(of: candidate.path)
            if realDirectories[directory] == nil {
                realDirectories[directory] = FileSystemProbe.realPath(directory.isEmpty ? "." : directory) ?? directory
            }
            let fileName = LogFileName(PathText.fileName(of: candidate.path))
            let key = Key(site: candidate.site, directory: realDirectories[directory] ?? directory, base: fileName.base)
            if names[key] == nil { names[key] = PathText.join(directory, fileName.base) }
            members[key, default: []].append((candidate.path, fileName.order))
        }
        return members.map { key, files in
            let ordered = files.sorted { $0.order != $1.order ? $0.order < $1.order : $0.path < $1.path }
            return ResolvedSource(
                site: key.site, componentHint: Component(logFileName: key.base),
                files: ordered.map(\.path), name: names[key] ?? key.base)
        }
    }
}
