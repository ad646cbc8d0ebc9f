import Crypto
import Foundation
import Mustache

/// The body a receiver gets for a notification, in its format.
public struct RenderedPayload: Sendable, Equatable {
    /// The body.
    public var body: [UInt8]
    /// Its content type.
    public var contentType = "application/json"
    /// Query items to add to the URL (DingTalk's signature).
    public var query: [(String, String)] = []

    public static func == (a: RenderedPayload, b: RenderedPayload) -> Bool {
        a.body == b.body && a.contentType == b.contentType && a.query.map { "\($0.0)=\($0.1)" } == b.query.map { "\($0.0)=\($0.1)" }
    }
}

/// Renders notifications as generic JSON, Alertmanager v4, Slack, DingTalk, Feishu, WeCom or a user template.
public enum PayloadRenderer {
    /// The payload of `n` for `receiver`; `secret` signs DingTalk/Feishu messages; `nowMillis` is the signing time (wall clock).
    public static func render(_ n: Notification, receiver: ReceiverSpec, secret: String?, nowMillis: Int64) -> RenderedPayload {
        switch receiver.format {
        case "alertmanager": return RenderedPayload(body: alertmanager(n))
        case "slack": return RenderedPayload(body: slack(n))
        case "dingtalk": return dingtalk(n, secret: secret, nowMillis: nowMillis)
        case "feishu": return RenderedPayload(body: feishu(n, secret: secret, nowSecs: nowMillis / 1000))
        case "wecom": return RenderedPayload(body: wecom(n))
        case "template": return RenderedPayload(body: Array(template(n, receiver.template ?? "").utf8), contentType: "text/plain; charset=utf-8")
        default: return RenderedPayload(body: generic(n))
        }
    }

    static func labels(_ w: inout JSONWriter, _ key: String, _ m: [String: String]) {
        w.key(key)
        w.beginObject()
        for k in m.keys.sorted() { w.member(k, m[k]) }
        w.endObject()
    }

    /// harborwatch's own JSON: the notification and every alert with its finding and evidence.
    public static func generic(_ n: Notification) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.member("receiver", n.receiver)
        w.member("status", n.status.rawValue)
        w.member("group_key", n.groupKey)
        w.member("idempotency_key", n.idempotencyKey)
        labels(&w, "group_labels", n.groupLabels)
        labels(&w, "common_labels", n.commonLabels)
        labels(&w, "common_annotations", n.commonAnnotations)
        w.key("alerts")
        w.beginArray()
        for a in n.alerts { AnalysisJSON.alert(a, &w) }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// Alertmanager's webhook payload, version 4, field for field.
    public static func alertmanager(_ n: Notification) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.member("version", "4")
        w.member("groupKey", n.groupKey)
        w.member("truncatedAlerts", n.truncatedAlerts)
        w.member("status", n.status.rawValue)
        w.member("receiver", n.receiver)
        labels(&w, "groupLabels", n.groupLabels)
        labels(&w, "commonLabels", n.commonLabels)
        labels(&w, "commonAnnotations", n.commonAnnotations)
        w.member("externalURL", n.externalURL)
        w.key("alerts")
        w.beginArray()
        for a in n.alerts {
            w.beginObject()
            w.member("status", a.status.rawValue)
            labels(&w, "labels", a.labels)
            labels(&w, "annotations", a.annotations)
            w.member("startsAt", Timestamps.format(a.startsAt))
            w.member("endsAt", a.endsAt.map { Timestamps.format($0) } ?? "0001-01-01T00:00:00Z")
            w.member("generatorURL", a.generatorURL ?? "")
            w.member("fingerprint", a.fingerprint)
            w.endObject()
        }
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// One text line per alert, for chat robots.
    static func lines(_ n: Notification, bold: (String) -> String) -> [String] {
        n.alerts.map { a in
            let state = a.status == .firing ? "FIRING" : "RESOLVED"
            let where_ = [a.labels["site"], a.labels["repository"]].compactMap { $0 }.joined(separator: " ")
            return "\(bold("[\(state)] \(a.labels["alertname"] ?? "?")")) \(where_): \(a.annotations["summary"] ?? "")"
        }
    }

    static func title(_ n: Notification) -> String {
        "harborwatch: \(n.alerts.filter { $0.status == .firing }.count) firing, \(n.alerts.filter { $0.status == .resolved }.count) resolved (\(n.groupLabels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))"
    }

    /// Slack incoming webhook: text plus an attachment coloured by status.
    public static func slack(_ n: Notification) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.member("text", title(n))
        w.key("attachments")
        w.beginArray()
        w.beginObject()
        let critical = n.alerts.contains { $0.status == .firing && $0.labels["severity"] == "critical" }
        w.member("color", n.status == .resolved ? "good" : (critical ? "danger" : "warning"))
        w.member("text", lines(n) { "*\($0)*" }.joined(separator: "\n"))
        w.endObject()
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// DingTalk robot: a markdown message; with a secret, `timestamp` and `sign` query items.
    public static func dingtalk(_ n: Notification, secret: String?, nowMillis: Int64) -> RenderedPayload {
        var w = JSONWriter()
        w.beginObject()
        w.member("msgtype", "markdown")
        w.key("markdown")
        w.beginObject()
        w.member("title", title(n))
        w.member("text", "### " + title(n) + "\n\n" + lines(n) { "**\($0)**" }.map { "- " + $0 }.joined(separator: "\n"))
        w.endObject()
        w.endObject()
        var p = RenderedPayload(body: w.bytes)
        if let secret, !secret.isEmpty {
            let sign = dingtalkSign(secret: secret, timestampMillis: nowMillis)
            p.query = [("timestamp", String(nowMillis)), ("sign", sign)]
        }
        return p
    }

    /// base64(HMAC-SHA256(key: secret, "timestamp\nsecret")), as DingTalk wants it (URL-encoded by the caller).
    public static func dingtalkSign(secret: String, timestampMillis: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestampMillis)\n\(secret)".utf8), using: SymmetricKey(data: Data(secret.utf8)))
        return Data(mac).base64EncodedString()
    }

    /// base64(HMAC-SHA256(key: "timestamp\nsecret", empty message)), as Feishu/Lark wants it.
    public static func feishuSign(secret: String, timestampSecs: Int64) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(), using: SymmetricKey(data: Data("\(timestampSecs)\n\(secret)".utf8)))
        return Data(mac).base64EncodedString()
    }

    /// Feishu/Lark bot: a text message; with a secret, `timestamp` and `sign` in the body.
    public static func feishu(_ n: Notification, secret: String?, nowSecs: Int64) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        if let secret, !secret.isEmpty {
            w.member("timestamp", String(nowSecs))
            w.member("sign", feishuSign(secret: secret, timestampSecs: nowSecs))
        }
        w.member("msg_type", "text")
        w.key("content")
        w.beginObject()
        w.member("text", title(n) + "\n" + lines(n) { $0 }.joined(separator: "\n"))
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// WeCom group robot: a markdown message.
    public static func wecom(_ n: Notification) -> [UInt8] {
        var w = JSONWriter()
        w.beginObject()
        w.member("msgtype", "markdown")
        w.key("markdown")
        w.beginObject()
        w.member("content", "**" + title(n) + "**\n" + lines(n) { $0 }.map { "> " + $0 }.joined(separator: "\n"))
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// A user Mustache template over: receiver, status, group_key, idempotency_key, group_labels,
    /// common_labels, common_annotations, alerts (each: status, fingerprint, labels, annotations,
    /// starts_at, ends_at).
    public static func template(_ n: Notification, _ text: String) -> String {
        guard let t = try? MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + text) else { return "" }
        let alerts: [[String: Any]] = n.alerts.map { a in
            ["status": a.status.rawValue, "fingerprint": a.fingerprint, "labels": a.labels, "annotations": a.annotations,
             "starts_at": Timestamps.format(a.startsAt), "ends_at": a.endsAt.map { Timestamps.format($0) } ?? ""]
        }
        let ctx: [String: Any] = [
            "receiver": n.receiver, "status": n.status.rawValue, "group_key": n.groupKey, "idempotency_key": n.idempotencyKey,
            "group_labels": n.groupLabels, "common_labels": n.commonLabels, "common_annotations": n.commonAnnotations, "alerts": alerts,
        ]
        return t.render(ctx)
    }

    /// `sha256=<hex>` of HMAC-SHA256(key, body): the body signature header.
    public static func signature(body: [UInt8], key: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body), using: SymmetricKey(data: Data(key.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}
