import Testing

@testable import HarborWatch

@Suite struct LogFileNameTests {
    @Test(arguments: [
        ("proxy.log", "proxy.log", LogFileName.Rotation.live),
        ("proxy.log.50.gz", "proxy.log", .numbered(50)),
        ("access.log.1", "access.log", .numbered(1)),
        ("access.log-20240917.gz", "access.log", .dated("20240917")),
        ("access.log-2024-09-18", "access.log", .dated("2024-09-18")),
        ("messages.3", "messages", .numbered(3)),
        ("core.log.gz", "core.log.gz", .live),
        ("97833cef690cc2e9741266cd.log", "97833cef690cc2e9741266cd.log", .live),
        ("registry-2024.log", "registry-2024.log", .live),
    ])
    func namesSplitIntoBaseAndRotation(name: String, base: String, rotation: LogFileName.Rotation) {
        let parsed = LogFileName(name)
        #expect(parsed.base == base)
        #expect(parsed.rotation == rotation)
    }

    @Test(arguments: [
        ("proxy.log", true), ("core.log.3.gz", true), ("archive.gz", true), ("syslog.1", true),
        ("access.log-20240917", true), ("jobservice.log", true),
        ("README.md", false), ("README", false), ("expected.json", false), ("rules.yaml", false),
        ("notes.txt", false), (".proxy.log", false), ("config.yml.1", false), ("bundle.tar.gz", false),
    ])
    func directoryWalksReadOnlyLogNames(name: String, isLog: Bool) {
        #expect(LogFileName.isLog(name) == isLog)
    }

    @Test(
        arguments: [
            ("proxy.log", Component.proxy), ("core.log", .core), ("registry.log", .registry),
            ("registryctl.log", .registryctl), ("jobservice.log", .jobservice), ("portal.log", .portal),
            ("access.log", .nginx), ("error.log", .nginx), ("97833cef690cc2e9741266cd.log", .job),
            ("97833CEF690CC2E9741266CD.log", nil), ("97833cef690cc2e9741266c.log", nil),
            ("postgresql.log", nil), ("messages", nil), ("job.log", nil), ("unknown.log", nil),
        ] as [(String, Component?)])
    func fileNamesHintAtTheirComponent(name: String, component: Component?) {
        #expect(Component(logFileName: name) == component)
    }

    @Test(arguments: [
        ("samples/hub-1/proxy.log", "/work", "hub-1"),
        ("samples/hub-1/nginx/access.log", "/work", "hub-1"),
        ("/data/hub-2/logs/nginx/access.log", "/", "hub-2"),
        ("proxy.log", "/var/log/harbor", "harbor"),
        ("../hub-3/./core.log", "/srv/hub-1", "hub-3"),
        ("/proxy.log", "/", "default"),
    ])
    func fileSitesComeFromTheParentDirectory(path: String, cwd: String, site: String) {
        #expect(PathText.siteOfFile(path, cwd: cwd) == site)
    }

    @Test(arguments: [(".", "/srv/hub-1", "hub-1"), ("..", "/srv/hub-1/x", "hub-1"), ("samples/hub-2/", "/w", "hub-2"), ("/", "/", "default")])
    func directorySitesAreTheDirectoryName(path: String, cwd: String, site: String) {
        #expect(PathText.siteOfDirectory(PathText.trimmed(path), cwd: cwd) == site)
    }
}
