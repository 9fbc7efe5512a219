import Foundation
@testable import RelayHTTPSink
import Testing

@Suite struct RetryAfterTests {
    let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test func delaySecondsAreTakenAsTheyAre() {
        #expect(RetryAfter.delay("7", now: now) == .seconds(7))
        #expect(RetryAfter.delay(" 120 ", now: now) == .seconds(120))
        #expect(RetryAfter.delay("0", now: now) == .zero)
    }

    @Test func allThreeHTTPDateFormsAreRead() {
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:50:37 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.delay("Sunday, 06-Nov-94 08:50:37 GMT", now: now) == .seconds(60))
        #expect(RetryAfter.delay("Sun Nov  6 08:50:37 1994", now: now) == .seconds(60))
    }

    @Test func aDateInThePastMeansNow() {
        #expect(RetryAfter.delay("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
    }

    @Test(arguments: [nil, "", "soon", "-5", "1.5"])
    func anUnreadableValueIsIgnored(value: String?) {
        #expect(RetryAfter.delay(value, now: now) == nil)
    }
}
