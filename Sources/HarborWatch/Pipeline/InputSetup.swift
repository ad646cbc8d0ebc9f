import Foundation

/// Turns the CLI's input options into parse options and input specs, with errors that read as sentences.
public enum InputSetup {
    /// An input option that cannot be used.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        /// What is wrong, naming the option.
        public var description: String
    }

    /// `--site hub-1=PATH` → (site, path).
    public static func siteSpec(_ text: String) throws(Problem) -> InputSpec {
        guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
            throw Problem(description: "--site '\(text)' is not of the form SITE=PATH (e.g. --site hub-2=/var/log/harbor)")
        }
        let site = String(text[..<eq])
        guard site.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." }) else {
            throw Problem(description: "--site '\(text)': a site name may hold letters, digits, '-', '_' and '.' only")
        }
        return InputSpec(path: String(text[text.index(after: eq)...]), site: site)
    }

    /// `--nginx-format`: a directive, a bare format string, or a file holding `log_format` directives.
    public static func nginxFormats(_ value: String) throws(Problem) -> [NginxLogFormat] {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: value, isDirectory: &isDir), !isDir.boolValue {
            guard let text = try? String(contentsOfFile: value, encoding: .utf8) else {
                throw Problem(description: "--nginx-format: cannot read \(value)")
            }
            let directives = logFormatDirectives(in: text)
            guard !directives.isEmpty else {
                throw Problem(description: "--nginx-format: \(value) holds no log_format directive")
            }
            var formats: [NginxLogFormat] = []
            for d in directives {
                do { formats.append(try NginxLogFormat.parse(directive: d)) } catch {
                    throw Problem(description: "--nginx-format: \(value): \(error.message)")
                }
            }
            return formats
        }
        do { return [try NginxLogFormat.parse(directive: value)] } catch {
            throw Problem(description: "--nginx-format: \(error.message)")
        }
    }

    /// Every `log_format …;` directive in an nginx configuration text (comments left out).
    static func logFormatDirectives(in text: String) -> [String] {
        var out: [String] = []
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            // drop comments outside quotes
            var quote: Character?
            var cut = line.endIndex
            for i in line.indices {
                let c = line[i]
                if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else if c == "#" { cut = i; break }
            }
            lines.append(line[..<cut])
        }
        let clean = lines.joined(separator: "\n")
        var rest = Substring(clean)
        while let r = rest.range(of: "log_format") {
            let before = rest[..<r.lowerBound].last
            guard before == nil || before!.isWhitespace || before == ";" || before == "{" else { rest = rest[r.upperBound...]; continue }
            var quote: Character?
            var end = rest.endIndex
            var i = r.upperBound
            while i < rest.endIndex {
                let c = rest[i]
                if let q = quote { if c == q { quote = nil } } else if c == "'" || c == "\"" { quote = c } else if c == ";" { end = rest.index(after: i); break }
                i = rest.index(after: i)
            }
            out.append(String(rest[r.lowerBound..<end]))
            rest = rest[end...]
        }
        return out
    }
}
