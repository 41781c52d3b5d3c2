using System.Text.Json;
using Passline.Api;
using Passline.Links;
using Passline.Storage;

namespace Passline.Callbacks;

/// <summary>The body of a callback (SPEC 7).</summary>
public sealed record CallbackPayload(
    Guid Uuid, string? Code, string? ChatId, string Status, DateTimeOffset? VerifiedAt, string? Phone, string? UserId, string OtpType, string? Reason);

/// <summary>How a request's callback stands, as <c>GET /requests/{uuid}</c> shows it.</summary>
public sealed record CallbackState(
    string Url, string Status, int Attempts, DateTimeOffset? LastAttemptAt, DateTimeOffset? DeliveredAt, int? LastStatusCode, string? LastError)
{
    public static CallbackState From(CallbackDelivery d) =>
        new(d.Url, d.Status, d.Attempts, d.LastAttemptAt, d.DeliveredAt, d.LastStatusCode, d.LastError);
}

public static class Callbacks
{
    /// <summary>
    /// Queues the callback of a request that has just ended, in the caller's transaction: to <c>callback.success</c>
    /// when verified, to <c>callback.failed</c> when failed or expired; nothing when the request has no such URL.
    /// </summary>
    public static void Enqueue(PasslineDb db, OtpRequest ended, DateTimeOffset now)
    {
        var url = ended.Status is OtpStatuses.Verified or OtpStatuses.Validated ? ended.CallbackSuccess : ended.CallbackFailed;
        if (url is null)
        {
            return;
        }

        var payload = new CallbackPayload(ended.Id, ended.OtpType == OtpTypes.Link ? ended.Code : null, ended.ChatId, ended.Status,
            ended.VerifiedAt, ended.Phone, ended.UserId, ended.OtpType, ended.FailedReason);
        db.CallbackDeliveries.Add(new CallbackDelivery
        {
            Id = Guid.CreateVersion7(now),
            InstanceId = ended.InstanceId,
            RequestId = ended.Id,
            Url = url,
            Payload = JsonSerializer.Serialize(payload, ApiJson.Options),
            Status = CallbackStatuses.Pending,
            CreatedAt = now,
            NextAttemptAt = now,
        });
    }
}
