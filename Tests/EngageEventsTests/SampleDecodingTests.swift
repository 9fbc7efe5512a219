import EngageEvents
import Foundation
import Testing

/// The sample bodies in `examples/events/` (copies of the project's shared Engage samples).
enum Samples {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("examples/events")

    static var names: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [])
            .filter { $0.hasSuffix(".json") && $0 != "INDEX.json" }.sorted()
    }

    static func event(_ name: String) throws -> EngageEvent {
        let body = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
        return try EngageEvent(decoding: body, messageId: "msg_sample", receivedAt: Date())
    }
}

@Suite struct SampleDecodingTests {
    @Test func thereIsASampleForEveryKnownTypeAndTheUnknownOne() {
        #expect(Samples.names.count == 13)
    }

    @Test(arguments: Samples.names)
    func everySampleDecodes(name: String) throws {
        let event = try Samples.event(name)
        #expect(!event.id.isEmpty && event.id != "msg_sample")
        #expect(event.tenant == "voyadodemo")
        #expect(event.typedPayload.contactId != nil)
    }

    @Test func loyaltyAddPointsIsTypedWithExactValues() throws {
        guard case .loyaltyPointsAdded(let points) = try Samples.event("loyalty.addPoints.json").typedPayload else {
            Issue.record("not typed")
            return
        }
        #expect(points.amount == Decimal(string: "150.0"))
        #expect(points.contactId == "cbe3f42c-c1d0-4721-b8ce-ab35001ce051")
        #expect(points.pointDefinitionId == 1)
        #expect(points.source == "Automation")
        #expect(points.description == "Birthday bonus")
        #expect(points.userId == "u-778")
        #expect(points.userName == "Engage automation")
        #expect(points.reason == "Birthday")
        #expect(points.sourceId == "auto-42")
    }

    @Test func pointBalanceUpdatedKeepsTheDecimalAndTheOffset() throws {
        guard case .pointBalanceUpdated(let balance) = try Samples.event("point.balance.updated.json").typedPayload
        else {
            Issue.record("not typed")
            return
        }
        #expect(balance.balance == Decimal(string: "2500.75"))
        #expect(balance.balance?.description == "2500.75")
        #expect(balance.accountId == 123)
        #expect(balance.definitionId == "1")
        #expect(balance.balanceExpires?.utcOffsetSeconds == 3600)
        #expect(balance.balanceExpires?.text == "2024-12-31T23:59:59.999+01:00")
        let seconds = try #require(balance.balanceExpires?.date.timeIntervalSince1970)
        #expect(abs(seconds - 1_735_685_999.999) < 0.0005)
    }

    @Test func theNumericDefinitionVariantDecodesWithEventId() throws {
        let event = try Samples.event("point.balance.updated.numeric-definition.json")
        #expect(event.id == "7a1d2c3b-0000-4c3f-a470-990ef50b47c1")
        guard case .pointBalanceUpdated(let balance) = event.typedPayload else {
            Issue.record("not typed")
            return
        }
        #expect(balance.definitionId == "1")
        #expect(balance.accountId == 999)
        #expect(balance.contactId == "test-contact-123")
    }

    @Test func rewardVoucherCreatedReadsPascalCaseKeys() throws {
        let event = try Samples.event("reward.voucher.created.json")
        #expect(event.id == "5d0e8f7a-9b1c-4d2e-8f3a-6b5c4d3e2f1a")
        guard case .rewardVoucherCreated(let voucher) = event.typedPayload else {
            Issue.record("not typed")
            return
        }
        #expect(voucher.amount == 100)
        #expect(voucher.contactId == "cbe3f42c-c1d0-4721-b8ce-ab35001ce051")
        #expect(voucher.currency == "SEK")
        #expect(voucher.id == "a4b3c2d1-1111-2222-3333-444455556666")
        #expect(voucher.uniqueCode == "RV-7QK2-91XZ")
        #expect(voucher.validFrom?.utcOffsetSeconds == 3600)
        #expect(voucher.validTo?.text == "2027-01-31T23:59:59+01:00")
    }

    @Test(arguments: Samples.names.filter { $0.hasPrefix("contact.") })
    func everyContactTypeHasAContactChangeView(name: String) throws {
        guard case .contactChange(let change) = try Samples.event(name).typedPayload else {
            Issue.record("\(name) is not a contact change")
            return
        }
        #expect(change.contactId == "cbe3f42c-c1d0-4721-b8ce-ab35001ce051")
    }

    @Test func promotionAssignmentNamesContactAndPromotion() throws {
        guard case .promotionAssigned(let promotion) = try Samples.event("promotion.multichannel.assigned.json")
            .typedPayload
        else {
            Issue.record("not typed")
            return
        }
        #expect(promotion.promotionId == "8d7c6b5a-4321-4fed-cba9-876543210fed")
        #expect(promotion.raw["couponId"] == .string("CPN-55-QQ"))
    }

    @Test func anUnknownFutureTypeDecodesAsGenericWithItsPayload() throws {
        let event = try Samples.event("unknown.future.event.json")
        #expect(event.type.rawValue == "order.returned")
        guard case .generic(let payload) = event.typedPayload else {
            Issue.record("not generic")
            return
        }
        #expect(payload["orderId"] == .string("SO-1002"))
    }
}
