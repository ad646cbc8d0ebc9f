// Plain timing of the same work as the ordo-one benchmarks, with no benchmark framework:
//   swift run -c release MicroTiming [repeats]
// Prints the median over `repeats` (default 7) runs of ns per line (parsers) and ms per run (Analyzer).
import Foundation
import HarborWatch
import MicroCorpus

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s[s.count / 2] }

func pad(_ s: String) -> String { s.count >= 52 ? s : s + String(repeating: " ", count: 52 - s.count) }

print("MemoryLayout<Event>: size \(MemoryLayout<Event>.size) B, stride \(MemoryLayout<Event>.stride) B (copied per event)")
let repeats = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 7 : 7
let n = 200_000
var sink = 0

@MainActor func perLine(_ name: String, _ body: (Int) -> Int) {
    _ = body(n / 10)  // warm-up
    var xs: [Double] = []
    for _ in 0..<repeats {
        let t = now()
        sink &+= body(n)
        xs.append(Double(now() - t) / Double(n))
    }
    let m = median(xs)
    print(pad(name) + String(format: " %8.1f ns/line  %6.2f M lines/s  (min %.1f, max %.1f)", m, 1e3 / m,
                 xs.min()!, xs.max()!))
}

perLine("nginx proxy payload (NginxAccessParser)") { k in
    Corpus.payload(Corpus.proxyPayload, k) { Corpus.nginx.parse($0, $1, into: &$2, interner: &$3) }
}
var proxy = Corpus.LineBench(Corpus.proxyLine, hint: .proxy)
perLine("nginx proxy line (LineParser)") { proxy.run($0) }
perLine("registry logrus payload (RegistryLogrusParser)") { k in
    Corpus.payload(Corpus.registryPayload, k) { RegistryLogrusParser.parse($0, $1, into: &$2, interner: &$3) }
}
var reg = Corpus.LineBench(Corpus.registryLine, hint: .registry)
perLine("registry logrus line (LineParser)") { reg.run($0) }
var acc = Corpus.LineBench(Corpus.registryAccessLine, hint: .registry)
perLine("registry access line (LineParser)") { acc.run($0) }
perLine("harbor text payload (HarborTextParser)") { k in
    Corpus.payload(Corpus.harborTextPayload, k) { HarborTextParser.parse($0, $1, into: &$2, interner: &$3) }
}
var core = Corpus.LineBench(Corpus.harborTextLine, hint: .core)
perLine("harbor text line (LineParser)") { core.run($0) }

let res = Corpus.sampleSources()
precondition(!res.sources.isEmpty, "no samples at \(Corpus.samplesDirectory)")
_ = Corpus.analyzeSamples(res)
var xs: [Double] = []
for _ in 0..<max(repeats, 20) {
    let t = now()
    sink &+= Corpus.analyzeSamples(res)
    xs.append(Double(now() - t) / 1e6)
}
print(pad("Analyzer.run samples/ (two sites, 1,067 lines)") + String(format: " %8.2f ms/run    (min %.2f, max %.2f)",
             median(xs), xs.min()!, xs.max()!))
if sink == 42 { print("") }
