import EngageEvents
import Foundation
import RelayCore
import Testing

/// The one `{placeholder}` engine behind `http` headers, `exec` command words and `syslog` templates.
@Suite struct EventTemplateTests {
    static func event(tenant: String? = "se", payload: String = #"{"contactId":"c-1"}"#) -> EngageEvent {
        EngageEvent(
            id: "ev-1", messageId: "msg_ev-1", type: EventType("contact.created"), tenant: tenant,
            receivedAt: Date(timeIntervalSince1970: 0), isEncrypted: false,
            payload: try! JSONValue(parsing: Array(payload.utf8)), body: [])
    }

    @Test(arguments: [
        ("{type}", "contact.created"),
        ("{type}/{tenant}/{id}/{contactId}", "contact.created/se/ev-1/c-1"),
        ("--tenant={tenant}", "--tenant=se"),
        ("{contactId}{type}", "c-1contact.created"),
        ("{{type}}", "{contact.created}"),
        ("{tenant}}", "se}"),
        // Braces around anything that is not a name stay as written.
        (#"{"t":"{type}"} {} { id } {tenant"#, #"{"t":"contact.created"} {} { id } {tenant"#),
        ("a{2}b {2,3} {_x} {1x} {x y} {é}", "a{2}b {2,3} {_x} {1x} {x y} {é}"),
        ("", ""),
        ("no placeholders", "no placeholders"),
    ])
    func placeholdersAreFilledInAndOtherBracesStay(text: String, rendered: String) throws {
        #expect(try EventTemplate(parsing: text).render(Self.event()) == rendered)
    }

    @Test func missingFieldsRenderEmpty() throws {
        let template = try EventTemplate(parsing: "[{tenant}] [{contactId}]")
        #expect(template.render(Self.event(tenant: nil, payload: "{}")) == "[] []")
    }

    @Test(arguments: ["{contactID}", "{contact}", "{tenant-id}", "{type_2}", "x {Type} y"])
    func aNameThatIsNotAPlaceholderIsAnError(text: String) {
        #expect(throws: EventTemplate.UnknownPlaceholder.self) { try EventTemplate(parsing: text) }
    }

    @Test func theErrorNamesThePlaceholderAndWhatIsAllowed() {
        #expect {
            try EventTemplate(parsing: "a {contactID} b")
        } throws: { error in
            "\(error)" == "unknown placeholder `{contactID}`; use {type}, {tenant}, {id} or {contactId}"
        }
        #expect {
            try EventTemplate(parsing: "{contactId}", allowing: [.type, .id])
        } throws: { error in
            "\(error)" == "unknown placeholder `{contactId}`; use {type} or {id}"
        }
    }

    @Test func partsAreParsedOnceWithAdjacentTextJoined() throws {
        let template = try EventTemplate(parsing: "{} {type}!")
        #expect(template.parts == [.text("{} "), .placeholder(.type), .text("!")])
        #expect(template.hasPlaceholders)
        #expect(try EventTemplate(parsing: "").parts.isEmpty)
        #expect(EventTemplate(parts: [.text("a"), .text(""), .text("b")]).parts == [.text("ab")])
        #expect(EventTemplate(literal: "{type}").parts == [.text("{type}")])
        #expect(!EventTemplate(literal: "{type}").hasPlaceholders)
    }

    @Test func valuesAreEscapedForTheirContextButFixedTextIsNot() throws {
        let template = try EventTemplate(parsing: "<{tenant}>")
        let rendered = template.render(Self.event(tenant: "a<b")) { $0.replacingOccurrences(of: "<", with: "&lt;") }
        #expect(rendered == "<a&lt;b>")
    }
}
