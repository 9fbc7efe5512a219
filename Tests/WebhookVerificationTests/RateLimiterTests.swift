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
        for _ in 0..<3 { #expect(limiter.admitAuthentic() == .allowed) }
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 2))
        clock.advance(0.5)
        // 1.5 seconds to go, rounded up.
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 2))
        clock.advance(1.0)
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 1))
    }

    @Test("Retry-After is never less than 1 second, even when the next token is moments away")
    func retryAfterAtLeastOne() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 100, burst: 1, now: clock.read)
        #expect(limiter.admitAuthentic() == .allowed)
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 1))
    }

    @Test("Retry-After is the ceiling of the wait, without an extra second from rounding noise")
    func retryAfterCeiling() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 0.1, burst: 1, now: clock.read)
        #expect(limiter.admitAuthentic() == .allowed)
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 10))
        clock.advance(2.5)
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 8))
        clock.advance(4.5)
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 3))
    }

    @Test("tokens refill at the rate, up to the burst and no further")
    func refill() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 2, burst: 4, now: clock.read)
        for _ in 0..<4 { #expect(limiter.admitAuthentic() == .allowed) }
        #expect(limiter.admitAuthentic() != .allowed)
        clock.advance(0.5)
        #expect(limiter.admitAuthentic() == .allowed)
        #expect(limiter.admitAuthentic() != .allowed)
        clock.advance(1.0)
        #expect(limiter.admitAuthentic() == .allowed)
        #expect(limiter.admitAuthentic() == .allowed)
        #expect(limiter.admitAuthentic() != .allowed)
        // A long idle time refills only up to the burst.
        clock.advance(3600)
        for _ in 0..<4 { #expect(limiter.admitAuthentic() == .allowed) }
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 1))
    }

    @Test("a clock that goes backwards neither adds nor removes tokens")
    func clockBackwards() {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 1, burst: 1, now: clock.read)
        #expect(limiter.admitAuthentic() == .allowed)
        clock.advance(-100)
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 1))
        clock.advance(100.5)
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 1))
        clock.advance(0.5)
        #expect(limiter.admitAuthentic() == .allowed)
    }

    @Test("each source has its own bucket: one source at its limit does not limit another")
    func perSourceIndependence() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 1, perSourceBurst: 2, now: clock.read)
        let first = try #require(IPAddress("52.215.16.239"))
        let second = try #require(IPAddress("2a05:d028:17:8000::1"))
        #expect(limiter.admitSource(first) == .allowed)
        #expect(limiter.admitSource(first) == .allowed)
        #expect(limiter.admitSource(first) == .limited(retryAfterSeconds: 1))
        #expect(limiter.admitSource(second) == .allowed)
        #expect(limiter.admitSource(second) == .allowed)
        #expect(limiter.admitSource(second) == .limited(retryAfterSeconds: 1))
        // The same address in IPv4-mapped form shares the bucket.
        #expect(limiter.admitSource(IPAddress("::ffff:52.215.16.239")) == .limited(retryAfterSeconds: 1))
        clock.advance(1)
        #expect(limiter.admitSource(first) == .allowed)
        #expect(limiter.admitSource(second) == .allowed)
        #expect(limiter.trackedSourceCount == 2)
    }

    @Test("IPv6 sources are keyed by their /64: one host cannot rotate addresses inside its prefix")
    func ipv6SourcesShareTheirPrefix() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 1, perSourceBurst: 1, now: clock.read)
        #expect(limiter.admitSource(IPAddress("2001:db8:1:2::1")) == .allowed)
        #expect(limiter.admitSource(IPAddress("2001:db8:1:2:ffff:ffff:ffff:ffff")) == .limited(retryAfterSeconds: 1))
        #expect(limiter.admitSource(IPAddress("2001:db8:1:3::1")) == .allowed, "another /64 is another source")
        let narrow = RateLimiter(
            ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 1, perSourceBurst: 1, ipv6PrefixLength: 128,
            now: clock.read)
        #expect(narrow.admitSource(IPAddress("2001:db8:1:2::1")) == .allowed)
        #expect(narrow.admitSource(IPAddress("2001:db8:1:2::2")) == .allowed)
    }

    @Test("refusals by source never touch the global budget, which only authentic deliveries spend")
    func sourceRefusalsSpendNoGlobalBudget() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1, burst: 3, perSourceRatePerSecond: 1, perSourceBurst: 1, now: clock.read)
        let flooder = try #require(IPAddress("198.51.100.1"))
        #expect(limiter.admitSource(flooder) == .allowed)
        for _ in 0..<50 { #expect(limiter.admitSource(flooder) != .allowed) }
        for _ in 0..<3 { #expect(limiter.admitAuthentic() == .allowed) }
        #expect(limiter.admitAuthentic() == .limited(retryAfterSeconds: 1))
    }

    @Test("without a per-source rate, sources are not tracked")
    func noPerSourceRate() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 1, burst: 2, now: clock.read)
        for index in 0..<5 { #expect(limiter.admitSource(IPAddress("192.0.2.\(index + 1)")) == .allowed) }
        #expect(limiter.trackedSourceCount == 0)
    }

    @Test("the per-source burst defaults to one second's worth of the per-source rate")
    func defaultPerSourceBurst() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 2.5, now: clock.read)
        let source = try #require(IPAddress("192.0.2.1"))
        for _ in 0..<3 { #expect(limiter.admitSource(source) == .allowed) }
        #expect(limiter.admitSource(source) == .limited(retryAfterSeconds: 1))
    }

    @Test("a flood of distinct addresses cannot grow the per-source table past its bound")
    func boundedTableUnderFlood() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1_000_000, burst: 1_000_000, perSourceRatePerSecond: 1, perSourceBurst: 1, now: clock.read)
        for index in 0..<25_000 {
            let source = try #require(Self.address(index))
            _ = limiter.admitSource(source)
            if index % 1000 == 0 { clock.advance(0.01) }
        }
        #expect(limiter.trackedSourceCount == RateLimiter.defaultMaxTrackedSources)
    }

    @Test("with a full table, a new source gets a bucket of its own and the earliest arrival is forgotten")
    func newSourcesNeverShareABucket() throws {
        let clock = FakeClock()
        let limiter = RateLimiter(
            ratePerSecond: 1000, burst: 1000, perSourceRatePerSecond: 0.1, perSourceBurst: 1, maxTrackedSources: 3,
            now: clock.read)
        for index in 0..<3 { #expect(limiter.admitSource(Self.address(index)) == .allowed) }
        // A flood of new sources: each is limited only by its own bucket, never by another's.
        for index in 10..<20 {
            #expect(limiter.admitSource(Self.address(index)) == .allowed)
            #expect(limiter.admitSource(Self.address(index)) == .limited(retryAfterSeconds: 10))
        }
        #expect(limiter.trackedSourceCount == 3)
        // The latest arrivals keep their buckets.
        #expect(limiter.admitSource(Self.address(19)) == .limited(retryAfterSeconds: 10))
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
                    for index in 0..<200 where limiter.admitSource(Self.address(index % 2 + task % 2 * 2)) == .allowed
                        && limiter.admitAuthentic() == .allowed
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
