/// Percentiles of latencies in bounded memory: exact up to `exactLimit` values, then a
/// log-scale histogram (1 % wide buckets from 1 ms to about 11 days).
public struct LatencySummary: Sendable, Equatable {
    private var exact: [Double] = []
    private var buckets: [UInt32] = []
    /// Values added.
    public private(set) var count = 0
    /// The largest value.
    public private(set) var max: Double = 0
    let exactLimit: Int

    private static let base = 1.01
    private static let minValue = 0.001
    private static let bucketCount = 1700

    /// An empty summary.
    public init(exactLimit: Int = 100_000) { self.exactLimit = exactLimit }

    /// Adds one latency in seconds.
    public mutating func add(_ v: Double) {
        count += 1
        if v > max { max = v }
        if buckets.isEmpty {
            exact.append(v)
            if exact.count > exactLimit {
                buckets = Array(repeating: 0, count: Self.bucketCount)
                for x in exact { buckets[Self.bucket(x)] += 1 }
                exact = []
            }
        } else {
            buckets[Self.bucket(v)] += 1
        }
    }

    private static func bucket(_ v: Double) -> Int {
        guard v > minValue else { return 0 }
        return Swift.min(bucketCount - 1, Int((log(v / minValue) / log(base)).rounded(.up)))
    }

    /// The nearest-rank percentile `q` (0…1); exact while few, else within 1 %.
    public func percentile(_ q: Double) -> Double {
        guard count > 0 else { return 0 }
        let rank = Swift.max(1, Int((q * Double(count)).rounded(.up)))
        if buckets.isEmpty {
            return exact.sorted()[Swift.min(exact.count, rank) - 1]
        }
        var seen = 0
        for (i, c) in buckets.enumerated() {
            seen += Int(c)
            if seen >= rank { return Swift.min(max, i == 0 ? Self.minValue : Self.minValue * pow(Self.base, Double(i))) }
        }
        return max
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
