import Foundation
import Testing

@testable import HarborWatch

@Suite struct InputResolverTests {
    /// `samples/` with two sites, docs and expected output beside the logs.
    static func makeSamples() throws -> TempDirectory {
        let dir = try TempDirectory()
        for file in [
            "samples/README.md", "samples/expected.json",
            "samples/hub-1/proxy.log", "samples/hub-1/proxy.log.1.gz", "samples/hub-1/core.log",
            "samples/hub-1/nginx/access.log", "samples/hub-1/notes.yaml", "samples/hub-1/.hidden.log",
            "samples/hub-2/registry.log", "samples/hub-2/job_logs/97833cef690cc2e9741266cd.log",
            "samples/hub-2/.git/HEAD.log",
        ] {
            try dir.write(file)
        }
        return dir
    }

    func summary(_ resolution: InputResolution, under root: String) -> [String] {
        resolution.sources.map { source in
            let files = source.files.map { $0.replacingOccurrences(of: root + "/", with: "") }
            return "\(source.site) \(source.componentHint?.rawValue ?? "-") \(files.joined(separator: ","))"
        }
    }

    @Test func rotatedSetsAreOrderedOldestFirst() throws {
        let dir = try TempDirectory()
        defer { dir.remove() }
        for name in [
            "proxy.log", "proxy.log.1.gz", "proxy.log.2.gz", "proxy.log.10.gz",
            "access.log", "access.log.1", "access.log.2.gz", "access.log-20240917.gz", "access.log-20240918",
            "core.log.2.gz", "core.log.1.gz",
        ] {
            try dir.write("logs/hub-9/\(name)")
        }
        let root = dir.path + "/logs/hub-9"
        let resolution = InputResolver().resolve([InputSpec(path: root)])
        #expect(resolution.errors.isEmpty)
        #expect(
            summary(resolution, under: root) == [
                "hub-9 nginx access.log-20240917.gz,access.log-20240918,access.log.2.gz,access.log.1,access.log",
                "hub-9 core core.log.2.gz,core.log.1.gz",
                "hub-9 proxy proxy.log.10.gz,proxy.log.2.gz,proxy.log.1.gz,proxy.log",
            ])
        #expect(resolution.sources.map(\.name) == ["access.log", "core.log", "proxy.log"].map { root + "/" + $0 })
        #expect(resolution.sources.allSatisfy { !$0.isStdin })
    }

    @Test func aDirectoryOfSiteDirectoriesNamesEachSite() throws {
        let dir = try Self.makeSamples()
        defer { dir.remove() }
        let root = dir.path + "/samples"
        let resolution = InputResolver().resolve([InputSpec(path: root + "/")])
        #expect(resolution.errors.isEmpty)
        #expect(
            summary(resolution, under: root) == [
                "hub-1 core hub-1/core.log",
                "hub-1 nginx hub-1/nginx/access.log",
                "hub-1 proxy hub-1/proxy.log.1.gz,hub-1/proxy.log",
                "hub-2 job hub-2/job_logs/97833cef690cc2e9741266cd.log",
                "hub-2 registry hub-2/registry.log",
            ])
        #expect(resolution.sources.first?.name == root + "/hub-1/core.log")
    }

    @Test func aDirectoryHoldingLogsIsOneSiteForEverythingBelow() throws {
        let dir = try Self.makeSamples()
        defer { dir.remove() }
        let resolution = InputResolver().resolve([InputSpec(path: dir.path + "/samples/hub-1")])
        #expect(resolution.errors.isEmpty)
        #expect(resolution.sources.map(\.site) == ["hub-1", "hub-1", "hub-1"])
        #expect(resolution.sources.map(\.name).contains(dir.path + "/samples/hub-1/nginx/access.log"))
    }

    @Test(
        arguments: [
            ("samples/hub-1/nginx/access.log", "hub-1", Component.nginx),
            ("samples/hub-2/job_logs/97833cef690cc2e9741266cd.log", "hub-2", Component.job),
            ("samples/hub-1/proxy.log.1.gz", "hub-1", Component.proxy),
            ("samples/README.md", "samples", nil),
        ] as [(String, String, Component?)])
    func aFileIsNamedAfterItsParentSkippingLogDirectories(file: String, site: String, hint: Component?) throws {
        let dir = try Self.makeSamples()
        defer { dir.remove() }
        let resolution = InputResolver().resolve([InputSpec(path: dir.path + "/" + file)])
        #expect(resolution.errors.isEmpty)
        #expect(resolution.sources.count == 1)
        #expect(resolution.sources.first?.site == site)
        #expect(resolution.sources.first?.componentHint == hint)
        #expect(resolution.sources.first?.files == [dir.path + "/" + file])
    }

    @Test func aFileReachedTwiceIsReadOnceUnderTheExplicitSite() throws {
        let dir = try Self.makeSamples()
        defer { dir.remove() }
        let root = dir.path + "/samples"
        try FileManager.default.createSymbolicLink(atPath: dir.path + "/alias.log", withDestinationPath: root + "/hub-2/registry.log")
        let resolution = InputResolver().resolve([
            InputSpec(path: root),
            InputSpec(path: root + "/hub-1", site: "dc1"),
            InputSpec(path: root + "/hub-*/proxy.log*"),
            InputSpec(path: dir.path + "/alias.log"),
        ])
        #expect(resolution.errors.isEmpty)
        #expect(
            summary(resolution, under: root) == [
                "dc1 core hub-1/core.log",
                "dc1 nginx hub-1/nginx/access.log",
                "dc1 proxy hub-1/proxy.log.1.gz,hub-1/proxy.log",
                "hub-2 job hub-2/job_logs/97833cef690cc2e9741266cd.log",
                "hub-2 registry hub-2/registry.log",
            ])
    }

    @Test func membersReachedThroughDifferentSpellingsFormOneSet() throws {
        let dir = try Self.makeSamples()
        defer { dir.remove() }
        let hub = dir.path + "/samples/hub-1"
        let resolution = InputResolver().resolve([
            InputSpec(path: hub + "/proxy.log"), InputSpec(path: dir.path + "/samples/./hub-1/proxy.log.*.gz"),
        ])
        #expect(resolution.sources.count == 1)
        #expect(resolution.sources.first?.files == [dir.path + "/samples/./hub-1/proxy.log.1.gz", hub + "/proxy.log"])
        #expect(resolution.sources.first?.name == hub + "/proxy.log")
    }

    @Test func globsExpandToFilesAndDirectoriesAndSkipDocs() throws {
        let dir = try Self.makeSamples()
        defer { dir.remove() }
        let root = dir.path + "/samples"
        let resolution = InputResolver().resolve([InputSpec(path: root + "/*")])
        #expect(resolution.errors.isEmpty)
        #expect(Set(resolution.sources.map(\.site)) == ["hub-1", "hub-2"])
        #expect(resolution.sources.count == 5)
        let logs = InputResolver().resolve([InputSpec(path: root + "/hub-?/[pr]*.log", site: "all")])
        #expect(logs.sources.map(\.name) == [root + "/hub-1/proxy.log", root + "/hub-2/registry.log"])
        #expect(logs.sources.allSatisfy { $0.site == "all" })
    }

    @Test func badInputsAreReportedWhileTheRestResolves() throws {
        let dir = try Self.makeSamples()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path + "/empty/sub", withIntermediateDirectories: true)
        try dir.write("empty/sub/README.md")
        let missing = dir.path + "/samples/x.log"
        let pattern = dir.path + "/nothing-*.log"
        let empty = dir.path + "/empty"
        let resolution = InputResolver().resolve([
            InputSpec(path: missing), InputSpec(path: dir.path + "/samples/hub-2"), InputSpec(path: pattern), InputSpec(path: empty),
        ])
        #expect(
            resolution.errors.map(\.description) == [
                "cannot open \(missing): No such file or directory",
                "no file matches \(pattern)",
                "no log files in directory \(empty)",
            ])
        #expect(resolution.errors.map(\.kind) == [.cannotOpen, .noMatch, .noLogs])
        #expect(resolution.sources.count == 2)
    }

    @Test(.enabled(if: getuid() != 0, "root can list any directory"))
    func anUnreadableDirectoryIsAnError() throws {
        let dir = try Self.makeSamples()
        defer {
            chmod(dir.path + "/samples/hub-2", 0o755)
            dir.remove()
        }
        chmod(dir.path + "/samples/hub-2", 0)
        let resolution = InputResolver().resolve([InputSpec(path: dir.path + "/samples")])
        #expect(resolution.errors.map(\.kind) == [.cannotList])
        #expect(resolution.errors.first?.description.contains("samples/hub-2") == true)
        #expect(resolution.sources.allSatisfy { $0.site == "hub-1" })
    }

    @Test func stdinIsOneSourceNamedDashWithTheDefaultSite() {
        let plain = InputResolver().resolve([InputSpec(path: "-"), InputSpec(path: "-")])
        #expect(plain.sources == [ResolvedSource(site: "default", componentHint: nil, files: ["-"], name: "-", isStdin: true)])
        let labelled = InputResolver().resolve([InputSpec(path: "-"), InputSpec(path: "-", site: "hub-3")])
        #expect(labelled.sources.map(\.site) == ["hub-3"])
    }
}
