import Benchmark
import HarborWatch
import MicroCorpus

// Each parser benchmark parses one line 1,000 times per iteration (scalingFactor .kilo), so the
// reported time per scaled iteration is the time of ONE line.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal, .peakMemoryResident],
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 10_000
    )

    Benchmark("nginx proxy payload (NginxAccessParser timed_combined)") { benchmark in
        blackHole(Corpus.payload(Corpus.proxyPayload, benchmark.scaledIterations.count) {
            Corpus.nginx.parse($0, $1, into: &$2, interner: &$3)
        })
    }

    Benchmark("nginx proxy line (LineParser: syslog prefix + nginx)") { benchmark in
        var lb = Corpus.LineBench(Corpus.proxyLine, hint: .proxy)
        benchmark.startMeasurement()
        blackHole(lb.run(benchmark.scaledIterations.count))
    }

    Benchmark("registry logrus payload (RegistryLogrusParser)") { benchmark in
        blackHole(Corpus.payload(Corpus.registryPayload, benchmark.scaledIterations.count) {
            RegistryLogrusParser.parse($0, $1, into: &$2, interner: &$3)
        })
    }

    Benchmark("registry logrus line (LineParser: syslog prefix + logrus)") { benchmark in
        var lb = Corpus.LineBench(Corpus.registryLine, hint: .registry)
        benchmark.startMeasurement()
        blackHole(lb.run(benchmark.scaledIterations.count))
    }

    Benchmark("registry access line (LineParser: syslog prefix + gorilla)") { benchmark in
        var lb = Corpus.LineBench(Corpus.registryAccessLine, hint: .registry)
        benchmark.startMeasurement()
        blackHole(lb.run(benchmark.scaledIterations.count))
    }

    Benchmark("harbor text payload (HarborTextParser)") { benchmark in
        blackHole(Corpus.payload(Corpus.harborTextPayload, benchmark.scaledIterations.count) {
            HarborTextParser.parse($0, $1, into: &$2, interner: &$3)
        })
    }

    Benchmark("harbor text line (LineParser: syslog prefix + core)") { benchmark in
        var lb = Corpus.LineBench(Corpus.harborTextLine, hint: .core)
        benchmark.startMeasurement()
        blackHole(lb.run(benchmark.scaledIterations.count))
    }

    Benchmark(
        "Analyzer.run samples/ (two sites, 1,067 lines)",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
            scalingFactor: .one, maxDuration: .seconds(3), maxIterations: 200)
    ) { benchmark in
        let res = Corpus.sampleSources()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(Corpus.analyzeSamples(res)) }
    }
}
