namespace Passline.Api;

/// <summary>The examples and words of the OpenAPI document, by endpoint name and by error status.</summary>
public static class ApiExamples
{
    public sealed record Operation(string Summary, string Description, string? Request, string? Response);

    public sealed record ErrorExample(string Description, string Body);

    private const string Link = """
        {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "code": "RDYFQUBX", "chat_id": null, "status": "pending", "otp_type": "link",
         "expires_at": "2025-12-29T18:14:55+00:00", "created_at": "2025-12-29T17:44:55+00:00",
         "whatsapp_link": "https://wa.me/201553730661?text=Give+me+link+to+login+at+Hypersender+%5BRDYFQUBX%5D+-+DO+NOT+CHANGE+THIS+MESSAGE",
         "link_url": "https://passline.example.com/l/a0b5e14e-95da-4bd4-9e2a-071661244bef"
        """;

    private const string Details = Link + """
        , "phone": "+201063178738", "user_id": "185103487680637@lid", "verified_at": "2025-12-29T17:50:00+00:00", "validated_at": null, "failed_reason": null,
          "message_received_at": "2025-12-29T17:49:12+00:00",
          "callback": {"url": "https://app.example.com/hooks/passline", "status": "delivered", "attempts": 1, "last_attempt_at": "2025-12-29T17:50:01+00:00",
                       "delivered_at": "2025-12-29T17:50:01+00:00", "last_status_code": 200, "last_error": null},
          "messages": [{"id": "0194e3c5-9a10-7c3e-b3a4-5e6f7a8b9c0d", "kind": "text", "status": "read", "error": null,
                        "created_at": "2025-12-29T17:49:12+00:00", "sent_at": "2025-12-29T17:49:12+00:00", "updated_at": "2025-12-29T17:49:20+00:00"}]}
        """;

    public static readonly IReadOnlyDictionary<string, Operation> Operations = new Dictionary<string, Operation>
    {
        ["GenerateLink"] = new("Create a WhatsApp login link",
            "Returns a short code and a `whatsapp_link` whose pre-filled message carries it. Show the link (or `link_url`, Passline's page with a QR code and a live status) to the user.",
            """
            {"expires": 1800, "name": "Hypersender", "chatId": "+20 106 317 8738",
             "message": {"prompt": "Give me link to login at {name}", "success": "Here is your login link: {link}"},
             "callback": {"success": "https://app.example.com/hooks/passline", "failed": "https://app.example.com/hooks/passline"},
             "redirect": "https://app.example.com/login/done"}
            """,
            """{"success": true, "message": "OTP link request created successfully", "data": """ + Link + "}}"),
        ["GetRequest"] = new("Read a request",
            "The request as generate-link returned it, with who verified (`chat_id` where replies go, `phone` the number, null only when WhatsApp never showed it, `user_id` the provider's `@lid` or BSUID), when, how its callback stands, and each WhatsApp message sent for it with its delivery status (`queued`, `sent`, `delivered`, `read`, `failed` with the provider's error).",
            null, """{"success": true, "message": "OTP request retrieved successfully", "data": """ + Details.Replace("\"status\": \"pending\"", "\"status\": \"verified\"", StringComparison.Ordinal) + "}"),
        ["CancelRequest"] = new("Cancel a request", "Ends an open request as `failed` with reason `cancelled`; 409 when it has already ended.",
            null, """{"success": true, "message": "OTP request cancelled successfully", "data": """ + Details.Replace("\"status\": \"pending\"", "\"status\": \"failed\"", StringComparison.Ordinal) + "}"),
        ["Exchange"] = new("Redeem the browser's token",
            "After Verify the browser comes back to `redirect` with `otp_uuid` and `otp_token`. Exchange the token, from your backend, to learn who verified: `chat_id`, `phone` (null only when WhatsApp never showed the number) and `user_id` (the `@lid` or business-scoped id the provider gave, else null). Works once, within 5 minutes; then 410.",
            """{"token": "q3X9c2l0ZV90b2tlbl9leGFtcGxlX29ubHlfb25jZQ"}""",
            """{"success": true, "message": "Token exchanged successfully", "data": {"uuid": "a0b5e14e-95da-4bd4-9e2a-071661244bef", "chat_id": "185103487680637@lid", "phone": "+201063178738", "user_id": "185103487680637@lid", "status": "verified", "verified_at": "2025-12-29T17:50:00+00:00"}}"""),
        ["RequestCode"] = new("Send a code over WhatsApp",
            "Generates a code, queues it to the chat (the authentication template on the Cloud API) and answers at once; `status` becomes `sent` when the provider accepts it. A newer code supersedes the chat's open one. A code the provider reports undeliverable ends the request `failed` (reason `undeliverable`), with the optional failed callback. 409 on a Cloud API instance without an authentication template: Meta delivers business-initiated messages only as templates.",
            """{"chatId": "201063178738@c.us", "length": 6, "useNumber": true, "useLetter": false, "allCapital": false, "name": "Hypersender", "expires": 1800}""",
            """{"success": true, "message": "OTP code generated and message queued successfully", "data": {"uuid": "0194e3c5-8c1a-7b52-a7d1-4f1f0c6e2b11", "chat_id": "201063178738@c.us", "code": "482913", "status": "pending", "otp_type": "code", "expires_at": "2025-12-29T18:14:55+00:00", "created_at": "2025-12-29T17:44:55+00:00"}}"""),
        ["ValidateCode"] = new("Check a code",
            "Checks the chat's latest code in constant time. Each code works once; five wrong attempts end it. Failures are 422 with a message that says which: no active code, wrong code (with attempts left), expired, already validated, too many attempts.",
            """{"chatId": "201063178738@c.us", "code": "482913"}""",
            """{"success": true, "message": "OTP code validated successfully", "data": {"uuid": "0194e3c5-8c1a-7b52-a7d1-4f1f0c6e2b11", "chat_id": "201063178738@c.us", "status": "validated", "validated_at": "2025-12-29T17:46:02+00:00"}}"""),
        ["GetStats"] = new("Figures for a period",
            "Links generated, clicks and click-through rate, messages received, verification and expiration rates, failed attempts, mean and p95 time to verification, and a series per hour (periods up to two days) or day. `from` and `to` are ISO 8601; the default is the 7 days up to now. Figures are kept per whole hour (UTC), so the period is widened to whole hours (`from` rounded down, `to` up) and the response's `from` and `to` say which. Requests count in the hour they were created, messages in the hour they arrived; the p95 is read from a histogram of 2% wide buckets (within about 1%). Hours stay in these figures after retention deletes their requests (`Passline:Retention:Days`).",
            null, null),
        ["SimulatorInbound"] = new("Simulator: a user sends a message",
            "Plays a WhatsApp user sending `text` to a simulator instance, through the same processing as a provider's webhook.",
            """{"from": "201063178738", "text": "Give me link to login at Hypersender [RDYFQUBX] - DO NOT CHANGE THIS MESSAGE"}""",
            """{"success": true, "message": "Message received", "data": {"outcome": "matched"}}"""),
        ["SimulatorOutbox"] = new("Simulator: what Passline sent", "The messages a simulator instance sent, newest last; `chat_id` narrows them to one chat.",
            null, """[{"id": "0194e3c5-8c1a-7b52-a7d1-4f1f0c6e2b11", "chat_id": "201063178738@c.us", "text": "Here is your login link: https://passline.example.com/v/Zm9v...", "sent_at": "2025-12-29T17:49:12+00:00"}]"""),
    };

    public static readonly IReadOnlyDictionary<string, ErrorExample> Errors = new Dictionary<string, ErrorExample>
    {
        ["400"] = new("The body is not valid JSON, or not an object.", """{"success": false, "message": "The request body is not valid JSON."}"""),
        ["401"] = new("Missing, malformed, unknown or revoked token.", """{"success": false, "message": "Unauthenticated."}"""),
        ["403"] = new("A valid token of another instance.", """{"success": false, "message": "This token does not belong to this instance."}"""),
        ["404"] = new("Unknown instance or request.", """{"success": false, "message": "OTP request not found."}"""),
        ["409"] = new("The request's state forbids the action.", """{"success": false, "message": "The request has already ended: it is verified."}"""),
        ["410"] = new("The token is unknown, expired or already used.", """{"success": false, "message": "The token is unknown, expired or already used."}"""),
        ["413"] = new("The body is over 64 KiB.", """{"success": false, "message": "The request body must not be larger than 64 KiB."}"""),
        ["415"] = new("The body is not JSON.", """{"success": false, "message": "The request body must be JSON (Content-Type: application/json)."}"""),
        ["422"] = new("Validation failed: `errors` names each field.", """{"success": false, "message": "The given data was invalid.", "errors": {"expires": ["The expires must be an integer between 60 and 86400."]}}"""),
        ["429"] = new("Rate limited: see the Retry-After header.", """{"success": false, "message": "Too many requests."}"""),
    };
}
