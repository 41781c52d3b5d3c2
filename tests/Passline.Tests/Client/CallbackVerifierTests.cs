using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Passline.Client;

namespace Passline.Tests.Client;

public sealed class CallbackVerifierTests
{
    private const string Body = """
        {"uuid":"a0b5e14e-95da-4bd4-9e2a-071661244bef","code":"RDYFQUBX","chat_id":"20123456789@c.us","status":"verified","verified_at":"2025-12-29T17:50:00+00:00","phone":"+20123456789","otp_type":"link","reason":null}
        """;

    private const string Id = "msg_2zJ4cOQXbZr5vQ1yKXbLd3SxVwF";

    private static readonly DateTimeOffset Now = new(2025, 12, 29, 17, 50, 0, TimeSpan.Zero);

    private readonly byte[] key = RandomNumberGenerator.GetBytes(32);
    private readonly FakeTimeProvider time = new(Now);

    private string Secret => "whsec_" + Convert.ToBase64String(key);

    private CallbackVerifier Verifier() => new(Secret, timeProvider: time);

    private static string Timestamp(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The Standard Webhooks signature, computed here with HMAC (RFC 2104) built by hand on SHA-256, so that the
    /// test shares no signing code with the verifier it checks.
    /// </summary>
    private static string Signature(byte[] key, string id, string timestamp, string body)
    {
        const int blockSize = 64;
        var blockKey = new byte[blockSize];
        (key.Length > blockSize ? SHA256.HashData(key) : key).CopyTo(blockKey, 0);
        var message = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");

        var inner = SHA256.HashData([.. blockKey.Select(b => (byte)(b ^ 0x36)), .. message]);
        var outer = SHA256.HashData([.. blockKey.Select(b => (byte)(b ^ 0x5c)), .. inner]);
        return "v1," + Convert.ToBase64String(outer);
    }

    private string Signature(string timestamp, string body = Body, string id = Id) => Signature(key, id, timestamp, body);

    [Fact]
    public void CorrectlySignedCallbackIsAccepted()
    {
        var timestamp = Timestamp(Now);
        var signature = Signature(timestamp);
        var verifier = Verifier();

        Assert.True(verifier.IsValid(Body, Id, timestamp, signature));
        Assert.True(verifier.IsValid(Encoding.UTF8.GetBytes(Body), Id, timestamp, signature));
        verifier.Verify(Body, Id, timestamp, signature);
        verifier.Verify(Encoding.UTF8.GetBytes(Body), Id, timestamp, signature);
    }

    [Fact]
    public void PublishedStandardWebhooksExampleIsAccepted()
    {
        // The example of the Standard Webhooks reference libraries: a receiver built on any of them agrees with this one.
        var verifier = new CallbackVerifier("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            timeProvider: new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1614265330)));

        Assert.True(verifier.IsValid("""{"test": 2432232314}""", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        Assert.Equal("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
            Signature(Convert.FromBase64String("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", """{"test": 2432232314}"""));
    }

    [Fact]
    public void SecretWithoutPrefixIsAccepted()
    {
        var timestamp = Timestamp(Now);
        var verifier = new CallbackVerifier(Convert.ToBase64String(key), timeProvider: time);

        Assert.True(verifier.IsValid(Body, Id, timestamp, Signature(timestamp)));
    }

    [Fact]
    public void NonAsciiBodyIsVerifiedAsUtf8Bytes()
    {
        var body = """{"uuid":"a0b5e14e-95da-4bd4-9e2a-071661244bef","name":"متجر 🛒","status":"verified"}""";
        var timestamp = Timestamp(Now);
        var signature = Signature(timestamp, body);
        var verifier = Verifier();

        Assert.True(verifier.IsValid(body, Id, timestamp, signature));
        Assert.True(verifier.IsValid(Encoding.UTF8.GetBytes(body), Id, timestamp, signature));
    }

    [Fact]
    public void TamperedBodyIsRefused()
    {
        var timestamp = Timestamp(Now);
        var signature = Signature(timestamp);
        var tampered = Body.Replace("\"status\":\"verified\"", "\"status\":\"verifiedd\"", StringComparison.Ordinal);
        var reformatted = Body.Replace(",\"", ", \"", StringComparison.Ordinal); // the same JSON, spaced differently
        var verifier = Verifier();

        Assert.False(verifier.IsValid(tampered, Id, timestamp, signature));
        Assert.False(verifier.IsValid(Body + " ", Id, timestamp, signature));
        Assert.False(verifier.IsValid(reformatted, Id, timestamp, signature));
        var refused = Assert.Throws<CallbackVerificationException>(() => verifier.Verify(tampered, Id, timestamp, signature));
        Assert.Contains("No signature matches", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void SignatureWithAnotherSecretIsRefused()
    {
        var timestamp = Timestamp(Now);
        var otherKey = RandomNumberGenerator.GetBytes(32);

        Assert.False(Verifier().IsValid(Body, Id, timestamp, Signature(otherKey, Id, timestamp, Body)));
    }

    [Fact]
    public void SignatureForAnotherIdIsRefused()
    {
        var timestamp = Timestamp(Now);

        Assert.False(Verifier().IsValid(Body, "msg_another", timestamp, Signature(timestamp)));
    }

    [Fact]
    public void TimestampHeaderIsPartOfTheSignature()
    {
        var signedAt = Timestamp(Now);
        var claimed = Timestamp(Now.AddSeconds(1));

        Assert.False(Verifier().IsValid(Body, Id, claimed, Signature(signedAt)));
    }

    [Fact]
    public void CallbackOlderThanToleranceIsRefused()
    {
        var timestamp = Timestamp(Now);
        var signature = Signature(timestamp);
        var verifier = Verifier();

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.True(verifier.IsValid(Body, Id, timestamp, signature));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(verifier.IsValid(Body, Id, timestamp, signature));
        var refused = Assert.Throws<CallbackVerificationException>(() => verifier.Verify(Body, Id, timestamp, signature));
        Assert.Contains("too old", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CallbackFromTooFarInTheFutureIsRefused()
    {
        var verifier = Verifier();
        var withinSkew = Timestamp(Now.AddMinutes(5));
        var beyond = Timestamp(Now.AddMinutes(5).AddSeconds(1));

        Assert.True(verifier.IsValid(Body, Id, withinSkew, Signature(withinSkew)));
        Assert.False(verifier.IsValid(Body, Id, beyond, Signature(beyond)));
        var refused = Assert.Throws<CallbackVerificationException>(() => verifier.Verify(Body, Id, beyond, Signature(beyond)));
        Assert.Contains("future", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToleranceIsConfigurable()
    {
        var timestamp = Timestamp(Now);
        var signature = Signature(timestamp);
        var verifier = new CallbackVerifier(Secret, TimeSpan.FromSeconds(30), time);

        time.Advance(TimeSpan.FromSeconds(31));
        Assert.False(verifier.IsValid(Body, Id, timestamp, signature));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("v1")]
    [InlineData("v1,")]
    [InlineData("v1,not base64!")]
    [InlineData("v1,AAAA")]
    [InlineData("v1;g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    [InlineData("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")]
    public void MalformedSignatureHeaderIsRefusedWithAReason(string header)
    {
        var timestamp = Timestamp(Now);
        var verifier = Verifier();

        Assert.False(verifier.IsValid(Body, Id, timestamp, header));
        var refused = Assert.Throws<CallbackVerificationException>(() => verifier.Verify(Body, Id, timestamp, header));
        Assert.NotEmpty(refused.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-1767030600")]
    [InlineData("+1767030600")]
    [InlineData("1767030600.0")]
    [InlineData("1.7670306e9")]
    [InlineData(" 1767030600")]
    [InlineData("99999999999999999999999")]
    public void MalformedTimestampIsRefusedWithAReason(string timestamp)
    {
        var verifier = Verifier();
        var signature = Signature(timestamp);

        Assert.False(verifier.IsValid(Body, Id, timestamp, signature));
        Assert.Throws<CallbackVerificationException>(() => verifier.Verify(Body, Id, timestamp, signature));
    }

    [Fact]
    public void MissingHeadersAreRefused()
    {
        var timestamp = Timestamp(Now);
        var signature = Signature(timestamp);
        var verifier = Verifier();

        Assert.False(verifier.IsValid(Body, null, timestamp, signature));
        Assert.False(verifier.IsValid(Body, "", timestamp, signature));
        Assert.False(verifier.IsValid(Body, Id, null, signature));
        Assert.False(verifier.IsValid(Body, Id, timestamp, null));
        Assert.Contains("webhook-id", Assert.Throws<CallbackVerificationException>(() => verifier.Verify(Body, null, timestamp, signature)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void OneMatchingSignatureAmongSeveralIsEnoughDuringKeyRotation()
    {
        var timestamp = Timestamp(Now);
        var oldKey = RandomNumberGenerator.GetBytes(32);
        var withOldKey = Signature(oldKey, Id, timestamp, Body);
        var withNewKey = Signature(timestamp);
        var verifier = Verifier();

        Assert.True(verifier.IsValid(Body, Id, timestamp, $"{withOldKey} {withNewKey}"));
        Assert.True(verifier.IsValid(Body, Id, timestamp, $"{withNewKey} {withOldKey}"));
        Assert.True(verifier.IsValid(Body, Id, timestamp, $"v1,bm9wZQ==  {withNewKey}"));
        Assert.False(verifier.IsValid(Body, Id, timestamp, $"{withOldKey} {Signature(RandomNumberGenerator.GetBytes(32), Id, timestamp, Body)}"));
    }

    [Fact]
    public void SignaturesOfOtherVersionsAreIgnored()
    {
        var timestamp = Timestamp(Now);
        var digest = Signature(timestamp)["v1,".Length..];
        var verifier = Verifier();

        Assert.False(verifier.IsValid(Body, Id, timestamp, $"v2,{digest}"));
        Assert.False(verifier.IsValid(Body, Id, timestamp, $"v1a,{digest}"));
        Assert.True(verifier.IsValid(Body, Id, timestamp, $"v2,{digest} v1a,AAAA v1,{digest}"));
        var refused = Assert.Throws<CallbackVerificationException>(() => verifier.Verify(Body, Id, timestamp, $"v2,{digest}"));
        Assert.Contains("no v1 signature", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VerifiedBodyIsReadAsACallback()
    {
        var timestamp = Timestamp(Now);

        var callback = Verifier().VerifyAndParse(Encoding.UTF8.GetBytes(Body), Id, timestamp, Signature(timestamp));

        Assert.Equal(new CallbackPayload(
            Guid.Parse("a0b5e14e-95da-4bd4-9e2a-071661244bef"), "RDYFQUBX", "20123456789@c.us", OtpStatus.Verified,
            new DateTimeOffset(2025, 12, 29, 17, 50, 0, TimeSpan.Zero), "+20123456789", null, "link", null), callback);
    }

    [Fact]
    public void FailedCallbackIsReadWithItsReason()
    {
        var body = """{"uuid":"a0b5e14e-95da-4bd4-9e2a-071661244bef","code":"RDYFQUBX","chat_id":null,"status":"expired","verified_at":null,"phone":null,"otp_type":"link","reason":"expired","attempt":3}""";
        var timestamp = Timestamp(Now);

        var callback = Verifier().VerifyAndParse(body, Id, timestamp, Signature(timestamp, body));

        Assert.Equal(OtpStatus.Expired, callback.Status);
        Assert.Equal("expired", callback.Reason);
        Assert.Null(callback.ChatId);
        Assert.Null(callback.VerifiedAt);
    }

    [Fact]
    public void UnverifiedBodyIsNotRead()
    {
        var timestamp = Timestamp(Now);

        Assert.Throws<CallbackVerificationException>(() => Verifier().VerifyAndParse(Body, Id, timestamp, Signature(RandomNumberGenerator.GetBytes(32), Id, timestamp, Body)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("whsec_")]
    [InlineData("whsec_not base64!")]
    public void UnusableSecretIsRefusedAtConstruction(string secret) =>
        Assert.ThrowsAny<ArgumentException>(() => new CallbackVerifier(secret));
}
