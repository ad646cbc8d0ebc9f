// swift-tools-version:6.1
// Micro-benchmarks of harborwatch's per-line parsers and of Analyzer.run on samples/.
// A separate package so that `swift test` in the repository root never builds it.
//
//   cd Benchmarks/Micro && swift package --disable-sandbox benchmark
//   (plain timing fallback, no ordo-one tooling involved:  swift run -c release MicroTiming)
import Foundation
import PackageDescription

// A path dependency's package identity is the name of its directory (here "main"; another
// checkout may be called "harborwatch"), so derive it instead of hard-coding it.
let mainIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .appendingPathComponent("../..").standardizedFileURL.lastPathComponent.lowercased()

let package = Package(
    name: "HarborWatchMicro",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .target(
            name: "MicroCorpus",
            dependencies: [.product(name: "HarborWatch", package: mainIdentity)],
            path: "Sources/MicroCorpus"
        ),
        .executableTarget(
            name: "HarborWatchMicro",
            dependencies: [
                "MicroCorpus",
                .product(name: "HarborWatch", package: mainIdentity),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/HarborWatchMicro",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "MicroTiming",
            dependencies: ["MicroCorpus", .product(name: "HarborWatch", package: mainIdentity)],
            path: "Sources/MicroTiming"
        ),
    ]
)
