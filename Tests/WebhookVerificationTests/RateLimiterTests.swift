import Synchronization
import Testing
import WebhookVerification

/// A clock that only moves when a test moves it.
final class FakeClock: Sendable {
    private let seconds: Mutex<Double>

    init(_ start: Double = 1_000) {
        seconds = Mutex(start)
    }

    var now: Double { seconds.withLock { $0 } }

    func advance(_ delta: Double) {
        seconds.withLock { $0 += delta }
    }

    var read: @Sendable () -> Double { { self.now } }
}

@Suite("Rate limiter")
struct RateLimiterTests {
    static func address(_ index: Int) -> IPAddress? {
        IPAddress("10.\(index >> 16 & 255).\(index >> 8 & 255).\(index & 255)")
    }

    @Test("a full burst is allowed, then requests are limited with the time until the next token")
    func burstThenLimited() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 0.5, burst: 3, now: clock.read)
        for _ in 0..<3 { #expect(limiter.admit(source: nil) == .allowed) }
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 2))
        clock.advance(0.5)
        // 1.5 seconds to go, rounded up.
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 2))
        clock.advance(1.0)
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 1))
    }

    @Test("Retry-After is never less than 1 second, even when the next token is moments away")
    func retryAfterAtLeastOne() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 100, burst: 1, now: clock.read)
        #expect(limiter.admit(source: nil) == .allowed)
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 1))
    }

    @Test("Retry-After is the ceiling of the wait, without an extra second from rounding noise")
    func retryAfterCeiling() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 0.1, burst: 1, now: clock.read)
        #expect(limiter.admit(source: nil) == .allowed)
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 10))
        clock.advance(2.5)
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 8))
        clock.advance(4.5)
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 3))
    }

    @Test("tokens refill at the rate, up to the burst and no further")
    func refill() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 2, burst: 4, now: clock.read)
        for _ in 0..<4 { #expect(limiter.admit(source: nil) == .allowed) }
        #expect(limiter.admit(source: nil) != .allowed)
        clock.advance(0.5)
        #expect(limiter.admit(source: nil) == .allowed)
        #expect(limiter.admit(source: nil) != .allowed)
        clock.advance(1.0)
        #expect(limiter.admit(source: nil) == .allowed)
        #expect(limiter.admit(source: nil) == .allowed)
        #expect(limiter.admit(source: nil) != .allowed)
        // A long idle time refills only up to the burst.
        clock.advance(3600)
        for _ in 0..<4 { #expect(limiter.admit(source: nil) == .allowed) }
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 1))
    }

    @Test("a clock that goes backwards neither adds nor removes tokens")
    func clockBackwards() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 1, burst: 1, now: clock.read)
        #expect(limiter.admit(source: nil) == .allowed)
        clock.advance(-100)
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 1))
        clock.advance(100.5)
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 1))
        clock.advance(0.5)
        #expect(limiter.admit(source: nil) == .allowed)
    }

    @Test("each source has its own bucket: one source at its limit does not limit another")
    func perSourceIndependence() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 1, perSourceBurst: 2, now: clock.read)
        let first = try #require(IPAddress("52.215.16.239"))
        let second = try #require(IPAddress("2a05:d028:17:8000::1"))
        #expect(limiter.admit(source: first) == .allowed)
        #expect(limiter.admit(source: first) == .allowed)
        #expect(limiter.admit(source: first) == .limited(retryAfterSeconds: 1))
        #expect(limiter.admit(source: second) == .allowed)
        #expect(limiter.admit(source: second) == .allowed)
        #expect(limiter.admit(source: second) == .limited(retryAfterSeconds: 1))
        // The same address in IPv4-mapped form shares the bucket.
        #expect(limiter.admit(source: IPAddress("::ffff:52.215.16.239")) == .limited(retryAfterSeconds: 1))
        clock.advance(1)
        #expect(limiter.admit(source: first) == .allowed)
        #expect(limiter.admit(source: second) == .allowed)
        #expect(limiter.trackedSourceCount == 2)
    }

    @Test("a request refused by its source's bucket does not spend the global budget")
    func limitedSourceSpendsNothing() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1, burst: 3, perSourceRatePerSecond: 1, perSourceBurst: 1, now: clock.read)
        let flooder = try #require(IPAddress("198.51.100.1"))
        #expect(limiter.admit(source: flooder) == .allowed)
        for _ in 0..<50 { #expect(limiter.admit(source: flooder) != .allowed) }
        #expect(limiter.admit(source: IPAddress("198.51.100.2")) == .allowed)
        #expect(limiter.admit(source: IPAddress("198.51.100.3")) == .allowed)
        #expect(limiter.admit(source: IPAddress("198.51.100.4")) == .limited(retryAfterSeconds: 1))
    }

    @Test("the global limit applies across sources, and Retry-After is the longer of the two waits")
    func globalAcrossSources() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 0.25, burst: 2, perSourceRatePerSecond: 0.5, perSourceBurst: 1, now: clock.read)
        #expect(limiter.admit(source: IPAddress("192.0.2.1")) == .allowed)
        #expect(limiter.admit(source: IPAddress("192.0.2.2")) == .allowed)
        // The global bucket is empty: 4 seconds to its next token, though this source's bucket is full.
        #expect(limiter.admit(source: IPAddress("192.0.2.3")) == .limited(retryAfterSeconds: 4))
        // Both empty: the global wait (4 s) is longer than the source's (2 s).
        #expect(limiter.admit(source: IPAddress("192.0.2.1")) == .limited(retryAfterSeconds: 4))
        // Unknown sources face the global limit only.
        #expect(limiter.admit(source: nil) == .limited(retryAfterSeconds: 4))
    }

    @Test("without a per-source rate, sources are not tracked")
    func noPerSourceRate() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 1, burst: 2, now: clock.read)
        #expect(limiter.admit(source: IPAddress("192.0.2.1")) == .allowed)
        #expect(limiter.admit(source: IPAddress("192.0.2.2")) == .allowed)
        #expect(limiter.admit(source: IPAddress("192.0.2.3")) == .limited(retryAfterSeconds: 1))
        #expect(limiter.trackedSourceCount == 0)
    }

    @Test("the per-source burst defaults to one second's worth of the per-source rate")
    func defaultPerSourceBurst() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 2.5, now: clock.read)
        let source = try #require(IPAddress("192.0.2.1"))
        for _ in 0..<3 { #expect(limiter.admit(source: source) == .allowed) }
        #expect(limiter.admit(source: source) == .limited(retryAfterSeconds: 1))
    }

    @Test("a flood of distinct addresses cannot grow the per-source table past its bound")
    func boundedTableUnderFlood() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1_000_000, burst: 1_000_000, perSourceRatePerSecond: 1, perSourceBurst: 1, now: clock.read)
        for index in 0..<25_000 {
            let source = try #require(Self.address(index))
            _ = limiter.admit(source: source)
            if index % 1000 == 0 { clock.advance(0.01) }
        }
        #expect(limiter.trackedSourceCount == RateLimiter.defaultMaxTrackedSources)
    }

    @Test("sources beyond a full table of active buckets share one overflow bucket, and refilled buckets make room")
    func overflowAndEviction() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 0.1, perSourceBurst: 1, maxTrackedSources: 3,
            now: clock.read)
        for index in 0..<3 { #expect(limiter.admit(source: Self.address(index)) == .allowed) }
        #expect(limiter.trackedSourceCount == 3)
        // The table is full of buckets still refilling: new sources share the overflow bucket.
        #expect(limiter.admit(source: Self.address(10)) == .allowed)
        #expect(limiter.admit(source: Self.address(11)) == .limited(retryAfterSeconds: 10))
        #expect(limiter.trackedSourceCount == 3)
        // Sources that have a bucket keep their own limit.
        #expect(limiter.admit(source: Self.address(0)) == .limited(retryAfterSeconds: 10))
        // Once the buckets have refilled they are the same as new ones, and are dropped to make room.
        clock.advance(10)
        #expect(limiter.admit(source: Self.address(12)) == .allowed)
        #expect(limiter.trackedSourceCount == 1)
        #expect(limiter.admit(source: Self.address(12)) == .limited(retryAfterSeconds: 10))
    }

    @Test("concurrent admissions never hand out more than the burst")
    func concurrentAdmissions() async {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1, burst: 500, perSourceRatePerSecond: 1, perSourceBurst: 300, now: clock.read)
        let allowed = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var count = 0
                    for index in 0..<200 where limiter.admit(source: Self.address(index % 2 + task % 2 * 2)) == .allowed
                    {
                        count += 1
                    }
                    return count
                }
            }
            return await group.reduce(0, +)
        }
        #expect(allowed == 500)
    }

    @Test("the monotonic clock never goes backwards")
    func monotonicClock() {
        let first = RateLimiter.monotonic()
        let second = RateLimiter.monotonic()
        #expect(second >= first)
        #expect(first.isFinite)
    }
}
