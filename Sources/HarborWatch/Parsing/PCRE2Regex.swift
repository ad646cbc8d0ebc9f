import CPCRE2

/// A compiled PCRE2 regular expression for user rules (`match:`), JIT-compiled when PCRE2 can.
///
/// Patterns are UTF-8 (`PCRE2_UTF`); subjects may hold invalid UTF-8 (`PCRE2_MATCH_INVALID_UTF`),
/// which never matches a character but does not stop the match. A match that passes the match or
/// depth limit (catastrophic backtracking) counts as no match and is tallied in `limitHits`.
///
/// `@unchecked Sendable`: the compiled code and match context are written only in `init` and are
/// read-only afterwards (PCRE2 documents both as shareable between threads); each match borrows
/// its own match data from a pool guarded by a mutex, so no two threads ever share one.
public final class PCRE2Regex: @unchecked Sendable {
    /// The pattern as given.
    public let pattern: String
    /// The number of capturing groups.
    public let groupCount: Int
    /// True when PCRE2's JIT compiled the pattern (matching then runs machine code; the depth limit does not apply).
    public let isJITCompiled: Bool
    private let code: OpaquePointer
    private let context: OpaquePointer
    private let pool: MatchDataPool

    /// Compiles `pattern`; `matchLimit` and `depthLimit` bound the work a single match may do.
    public init(
        _ pattern: String, caseInsensitive: Bool = false, matchLimit: UInt32 = 100_000, depthLimit: UInt32 = 10_000
    ) throws(RegexError) {
        self.pattern = pattern
        var options = UInt32(PCRE2_UTF) | UInt32(PCRE2_MATCH_INVALID_UTF)
        if caseInsensitive { options |= UInt32(PCRE2_CASELESS) }
        var errorCode: Int32 = 0
        var errorOffset = 0
        var utf8Pattern = pattern
        let compiled = utf8Pattern.withUTF8 { bytes in
            pcre2_compile_8(bytes.baseAddress, bytes.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            throw RegexError(pattern: pattern, message: Self.message(for: errorCode), offset: errorOffset)
        }
        guard let context = pcre2_match_context_create_8(nil) else {
            pcre2_code_free_8(compiled)
            throw RegexError(pattern: pattern, message: "out of memory", offset: 0)
        }
        isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, depthLimit)
        var captures: UInt32 = 0
        pcre2_pattern_info_8(compiled, UInt32(PCRE2_INFO_CAPTURECOUNT), &captures)
        code = compiled
        self.context = context
        groupCount = Int(captures)
        pool = MatchDataPool(code: compiled)
    }

    deinit {
        pcre2_match_context_free_8(context)
        pcre2_code_free_8(code)
    }

    /// Matches that were abandoned at the match or depth limit (each counted as no match).
    public var limitHits: Int { pool.limitHits }

    /// True when the pattern matches somewhere in `bytes`.
    public func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        run(bytes) { _, _ in () } != nil
    }

    /// True when the pattern matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches($0) }
    }

    /// The whole match and numbered groups (`[0]` is the whole match, unset groups are nil); nil when there is no match.
    public func captures(in text: String) -> [String?]? {
        var text = text
        return text.withUTF8 { bytes in
            run(bytes) { ovector, pairs in
                (0...groupCount).map { group -> String? in
                    guard group < pairs else { return nil }
                    let start = ovector[2 * group]
                    let end = ovector[2 * group + 1]
                    guard start != Self.unset, start <= end else { return nil }
                    return String(decoding: UnsafeBufferPointer(rebasing: bytes[Int(start)..<Int(end)]), as: UTF8.self)
                }
            }
        }
    }

    /// The number of the group named `name` (`(?<repo>…)`), nil when no group has that name.
    public func groupNumber(named name: String) -> Int? {
        let number = name.utf8CString.withUnsafeBufferPointer { chars in
            chars.withMemoryRebound(to: UInt8.self) { pcre2_substring_number_from_name_8(code, $0.baseAddress) }
        }
        return number > 0 ? Int(number) : nil
    }

    /// The text of the group named `name` in `text`; nil when there is no match, no such group, or it is unset.
    public func capture(named name: String, in text: String) -> String? {
        guard let number = groupNumber(named: name), let groups = captures(in: text) else { return nil }
        return groups[number]
    }

    /// Runs one match; on success hands `body` the ovector and the number of pairs set.
    private func run<T>(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (UnsafeMutablePointer<Int>, Int) -> T) -> T? {
        let data = pool.acquire()
        defer { pool.release(data) }
        var empty: UInt8 = 0
        let status = withUnsafePointer(to: &empty) { emptyPointer in
            pcre2_match_8(code, bytes.baseAddress ?? emptyPointer, bytes.count, 0, 0, data, context)
        }
        guard status >= 0 else {
            if Self.limitErrors.contains(status) { pool.countLimitHit() }
            return nil
        }
        let pairs = status == 0 ? Int(pcre2_get_ovector_count_8(data)) : Int(status)
        return body(pcre2_get_ovector_pointer_8(data), pairs)
    }

    /// `PCRE2_UNSET`: the ovector value of a group that did not take part (`~(size_t)0`, imported as `Int`).
    private static let unset = Int(bitPattern: UInt.max)

    private static let limitErrors: Set<Int32> = [
        PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_DEPTHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_JIT_STACKLIMIT,
    ]

    private static func message(for errorCode: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(errorCode, &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(errorCode)" }
        return String(decoding: buffer[..<Int(length)], as: UTF8.self)
    }
}
