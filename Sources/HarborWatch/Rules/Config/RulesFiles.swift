import Foundation

/// Finds rules files: a path may be a file or a directory of `.yaml`/`.yml` files; with none given,
/// `rules/default.yaml` of the package the binary was built in, else the copy built into the binary.
public enum RulesFiles {
    /// The files named by `paths` (directories expanded, sorted).
    public static func expand(_ paths: [String]) -> [String] {
        var out: [String] = []
        for p in paths {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: p)) ?? []
                out += names.filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted().map { (p as NSString).appendingPathComponent($0) }
            } else {
                out.append(p)
            }
        }
        return out
    }

    /// `rules/default.yaml` found upward from the running binary (a checkout's `.build/…/harborwatch`), if any.
    public static func defaultPath() -> String? {
        var dir = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
            .deletingLastPathComponent()
        for _ in 0..<6 {
            let candidate = dir.appendingPathComponent("rules/default.yaml").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            dir.deleteLastPathComponent()
        }
        return nil
    }

    /// The default rules: the package's `rules/default.yaml`, else the built-in copy.
    public static func loadDefault() throws(Diagnostics) -> RulesFile {
        if let p = defaultPath() { return try RulesLoader.load(path: p) }
        return try RulesLoader.load(text: DefaultRules.yaml, path: "<built-in rules/default.yaml>")
    }
}
