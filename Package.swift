// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "harborwatch",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "HarborWatch", targets: ["HarborWatch"]),
        .executable(name: "harborwatch", targets: ["harborwatch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .systemLibrary(
            name: "CJemalloc",
            pkgConfig: "jemalloc",
            providers: [.apt(["libjemalloc-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // libcurl through dlopen (only loaded when a webhook is sent).
        .target(name: "CCurl", path: "Sources/CCurl", linkerSettings: [.linkedLibrary("dl")]),
        // The SIGBUS guard of files read through mmap (a file truncated while mapped).
        .target(name: "CMapGuard", path: "Sources/CMapGuard"),
        .target(
            name: "HarborWatch",
            dependencies: [
                "CPCRE2", "CZlib", "CCurl", "CMapGuard",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: [.unsafeFlags(["-Ounchecked", "-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "harborwatch",
            dependencies: [
                "HarborWatch", "CJemalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // The release binary carries the Swift runtime and Foundation inside it (as
            // `--static-swift-stdlib` does): shared, they were 6 MiB more resident memory (their
            // relocations, all of each library's pages around the ones used), and it runs on a
            // machine without the toolchain. Compiled so too, for the static libraries' link list.
            // Linked by the toolchain's lld: gold warns about glibc's mktemp in static Foundation.
            // The functions a run executes are laid out together, hottest first
            // (`hot-functions.order`, written by Benchmarks/hot-functions.sh): the kernel maps an
            // executable 64 KiB around each page first touched, and spread over the whole .text
            // they kept 3.4 MiB more of it resident. A name the file has and the build has not is
            // skipped without a warning.
            exclude: ["hot-functions.order"],
            swiftSettings: [.unsafeFlags(["-static-stdlib"], .when(platforms: [.linux], configuration: .release))],
            linkerSettings: [
                .unsafeFlags(
                    [
                        "-static-stdlib", "-use-ld=lld",
                        "-Xlinker", "--symbol-ordering-file=\(Context.packageDirectory)/Sources/harborwatch/hot-functions.order",
                        "-Xlinker", "--no-warn-symbol-ordering",
                    ], .when(platforms: [.linux], configuration: .release))
            ]
        ),
        .testTarget(
            name: "HarborWatchTests",
            dependencies: ["HarborWatch", "CMapGuard"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["harborwatch"],
            path: "Tests/EndToEnd",
            exclude: ["rotation_harness.py", "receiver.py"],
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
