import Testing
@testable import HarborWatch

@Test func versionIsSet() {
    #expect(!HarborWatch.version.isEmpty)
}
