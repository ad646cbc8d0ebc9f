import CPCRE2
import Foundation
import Testing

@testable import HarborWatch

@Suite struct PCRE2RegexTests {
    @Test(arguments: [
        ("MANIFEST_UNKNOWN", "err.code=MANIFEST_UNKNOWN", false, true),
        ("^GET /v2/", "GET /v2/library/nginx/manifests/latest", false, true),
        ("^GET /v2/", "HEAD /v2/library/nginx/manifests/latest", false, false),
        ("manifest_unknown", "err.code=MANIFEST_UNKNOWN", false, false),
        ("manifest_unknown", "err.code=MANIFEST_UNKNOWN", true, true),
        ("größe", "GRÖSSE", true, false),
        ("straße", "STRAẞE", true, true),
        ("^$", "", false, true),
        ("x", "", false, false),
        (#"sha256:[0-9a-f]{64}"#, "sha256:" + String(repeating: "ab", count: 32), false, true),
    ])
    func matchesText(pattern: String, text: String, caseInsensitive: Bool, expected: Bool) throws {
        let regex = try PCRE2Regex(pattern, caseInsensitive: caseInsensitive)
        #expect(regex.matches(text) == expected)
        var copy = text
        #expect(copy.withUTF8 { regex.matches($0) } == expected)
    }

    @Test(arguments: [
        ("(abc", 4, "missing closing parenthesis"), ("a{2,1}", 5, "numbers out of order in {} quantifier"),
        ("[z-a]", 3, "range out of order in character class"),
    ])
    func invalidPatternsReportPCRE2sMessageAndOffset(pattern: String, offset: Int, message: String) {
        let error = #expect(throws: RegexError.self) { try PCRE2Regex(pattern) }
        #expect(error?.offset == offset)
        #expect(error?.message == message)
        #expect(error?.description == "invalid regular expression \"\(pattern)\" at offset \(offset): \(message)")
    }

    @Test func capturesNumberedAndNamedGroups() throws {
        let regex = try PCRE2Regex(#"^(?<method>[A-Z]+) /v2/(?<repo>.+?)/(manifests|blobs)/(\S+)(?: (HTTP/2))?"#)
        let groups = try #require(regex.captures(in: "PUT /v2/library/nginx/manifests/1.25 HTTP/1.1"))
        #expect(groups == ["PUT /v2/library/nginx/manifests/1.25", "PUT", "library/nginx", "manifests", "1.25", nil])
        #expect(regex.groupCount == 5)
        var jitAvailable: UInt32 = 0
        pcre2_config_8(UInt32(PCRE2_CONFIG_JIT), &jitAvailable)
        #expect(regex.isJITCompiled == (jitAvailable == 1))
        #expect(regex.groupNumber(named: "repo") == 2)
        #expect(regex.groupNumber(named: "nope") == nil)
        #expect(regex.capture(named: "method", in: "GET /v2/a/blobs/sha256:00") == "GET")
        #expect(regex.captures(in: "not a request") == nil)
    }

    @Test func catastrophicBacktrackingFailsFastAndIsCounted() throws {
        let regex = try PCRE2Regex("(a+)+$")
        let subject = String(repeating: "a", count: 40) + "b"
        let start = Date()
        #expect(!regex.matches(subject))
        #expect(!regex.matches(subject))
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(regex.limitHits == 2)
        #expect(regex.matches(String(repeating: "a", count: 40)))
        #expect(regex.limitHits == 2)
    }

    @Test func limitsAreConfigurable() throws {
        let subject = String(repeating: "a", count: 12) + "b"
        let tight = try PCRE2Regex("(a+)+$", matchLimit: 50)
        #expect(!tight.matches(subject))
        #expect(tight.limitHits == 1)
        let roomy = try PCRE2Regex("(a+)+$")
        #expect(!roomy.matches(subject))
        #expect(roomy.limitHits == 0)
    }

    @Test(arguments: [
        ([0xFF, 0xFE, 0x61, 0x62, 0x63] as [UInt8], "abc", true),
        ([0xC3, 0x28, 0x61] as [UInt8], "^.\\(a$", false),
        ([0xC3, 0x28, 0x61] as [UInt8], "\\(a$", true),
        ([0xE2, 0x82] as [UInt8], ".", false),
        ([0x80, 0x80, 0x80] as [UInt8], "^$", false),
        ([] as [UInt8], "^$", true),
    ])
    func invalidUTF8SubjectsDoNotCrash(bytes: [UInt8], pattern: String, expected: Bool) throws {
        let regex = try PCRE2Regex(pattern)
        #expect(bytes.withUnsafeBufferPointer { regex.matches($0) } == expected)
        #expect(regex.limitHits == 0)
    }

    @Test func aRegexIsSharedAcrossThreads() async throws {
        let regex = try PCRE2Regex(#"status=(\d{3})"#)
        let hits = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    (0..<2000).reduce(0) { count, index in
                        count + (regex.captures(in: "id=\(task) status=\(200 + index % 300)")?[1] == "\(200 + index % 300)" ? 1 : 0)
                    }
                }
            }
            return await group.reduce(0, +)
        }
        #expect(hits == 16_000)
    }
}
