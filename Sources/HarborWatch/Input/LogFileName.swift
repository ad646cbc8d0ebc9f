/// A log file name split into the live file's name and its rotation (`proxy.log.2.gz` → `proxy.log`, #2).
struct LogFileName: Hashable {
    /// Where a member sits in its rotated set.
    enum Rotation: Hashable {
        /// dateext: `access.log-20240917(.gz)`; the date text sorts in time order.
        case dated(String)
        /// `proxy.log.N(.gz)`: higher numbers are older.
        case numbered(Int)
        /// The live file (`proxy.log`), newest.
        case live
    }

    /// The live file's name (`proxy.log`).
    let base: String
    let rotation: Rotation

    /// Extensions of files that are never logs (checked after `.gz` and the rotation suffix are removed).
    static let nonLogExtensions: Set<String> = [
        "md", "markdown", "rst", "json", "yaml", "yml", "toml", "ini", "conf", "cfg", "html", "htm",
        "sh", "py", "swift", "tar", "tgz", "zip", "pdf", "png", "jpg", "svg",
    ]

    init(_ name: String) {
        var rest = Substring(name)
        if rest.hasSuffix(".gz") { rest = rest.dropLast(3) }
        if let dot = rest.lastIndex(of: "."), dot > rest.startIndex {
            let digits = rest[rest.index(after: dot)...]
            if (1...9).contains(digits.count), digits.allSatisfy(\.isASCIIDigit), let number = Int(digits) {
                base = String(rest[..<dot])
                rotation = .numbered(number)
                return
            }
        }
        for dash in rest.indices.reversed() where rest[dash] == "-" && dash > rest.startIndex {
            let date = rest[rest.index(after: dash)...]
            if date.count > 14 { break }
            if Self.isDateSuffix(date) {
                base = String(rest[..<dash])
                rotation = .dated(String(date))
                return
            }
        }
        base = name
        rotation = .live
    }

    /// `20240917`, `2024091712`, an epoch (`1726531200`) or `2024-09-17`.
    private static func isDateSuffix(_ text: Substring) -> Bool {
        if (8...14).contains(text.count), text.allSatisfy(\.isASCIIDigit) { return true }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        return parts.map(\.count) == [4, 2, 2] && parts.allSatisfy { $0.allSatisfy(\.isASCIIDigit) }
    }

    /// Oldest first: dated members by date, then numbered ones from the highest number, then the live file.
    var order: (Int, Int, String) {
        switch rotation {
        case .dated(let date): (0, 0, date)
        case .numbered(let number): (1, -number, "")
        case .live: (2, 0, "")
        }
    }

    /// True for a name never read as a log: hidden, README/LICENSE, or a documentation/config extension.
    static func isExcluded(_ name: String) -> Bool {
        if name.hasPrefix(".") || name.uppercased().hasPrefix("README") || name.uppercased().hasPrefix("LICENSE") {
            return true
        }
        var base = Substring(LogFileName(name).base)
        if base.hasSuffix(".gz") { base = base.dropLast(3) }
        guard let dot = base.lastIndex(of: ".") else { return false }
        return nonLogExtensions.contains(base[base.index(after: dot)...].lowercased())
    }

    /// True for a file a directory walk reads: not excluded, and named `*.log*`, `*.gz` or in a rotated form.
    static func isLog(_ name: String) -> Bool {
        guard !isExcluded(name) else { return false }
        return name.contains(".log") || name.hasSuffix(".gz") || LogFileName(name).rotation != .live
    }
}

extension Character {
    /// True for `0`…`9` only.
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
