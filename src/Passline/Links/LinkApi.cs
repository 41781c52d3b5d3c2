using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Callbacks;
using Passline.Instances;
using Passline.Outbox;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Links;

/// <summary><c>POST /generate-link</c> and <c>GET /requests/{uuid}</c> (SPEC 2.2, 2.4).</summary>
public static class LinkApi
{
    public static IEndpointRouteBuilder MapLinkApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/otp/v2/{instance}").RequireInstanceToken().WithTags("OTP link");
        group.MapPost("/generate-link", GenerateLink).WithName("GenerateLink").DocumentBody<GenerateLinkRequest>(required: false)
            .Produces<ErrorBody>(StatusCodes.Status409Conflict);
        group.MapGet("/requests/{uuid}", GetRequest).WithName("GetRequest");
        group.MapPost("/requests/{uuid}/cancel", Cancel).WithName("CancelRequest");
        group.MapPost("/exchange", Exchange).WithName("Exchange").DocumentBody<ExchangeRequest>().Produces<ErrorBody>(StatusCodes.Status410Gone);
        return app;
    }

    public static async Task<Results<Ok<ApiResponse<LinkRequestData>>, ApiError>> GenerateLink(
        HttpContext context, LinkRequestWriter writer, TimeProvider time, PublicUrls urls, IOptions<CallbackOptions> callbacks,
        RateLimits limits, Monitoring.PasslineMetrics metrics, IOptions<Channels.Simulator.SimulatorOptions> simulator, ILogger<OtpRequest> logger)
    {
        var (body, bodyError) = await JsonBody.ReadObjectAsync(context.Request, context.RequestAborted);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var instance = context.AuthenticatedInstance();
        if (simulator.Value.Refuses(instance) is { } off)
        {
            return off;
        }

        var (input, invalid) = GenerateLinkInput.Read(
            body, instance, callbacks.Value.AllowPrivateNetworks, context.RequestServices.GetRequiredService<HostAddresses>().Current());
        if (input is null)
        {
            return invalid!;
        }

        if ((await limits.CheckChatAsync(instance.Id, input.ChatId, context.RequestAborted) ?? await limits.CheckInstanceAsync(instance.Id, context.RequestAborted)) is { } limited)
        {
            return limited;
        }

        var (request, refused) = await CreateAsync(writer, limits, time, instance, input, metrics, logger, context.RequestAborted);
        if (refused is not null)
        {
            return refused;
        }

        return TypedResults.Ok(new ApiResponse<LinkRequestData>(true, "OTP link request created successfully",
            LinkRequestData.From(request, instance, urls.Base(context.Request))));
    }

    /// <summary>
    /// Stores a new link request; returns once it is durably stored, or with the 429 of the per-chat limit (SPEC 6) when a
    /// bound one is not stored. The demo uses it as the API does.
    /// </summary>
    public static async Task<(OtpRequest Request, ApiError? Refused)> CreateAsync(
        LinkRequestWriter writer, RateLimits limits, TimeProvider time, Instance instance, GenerateLinkInput input, Monitoring.PasslineMetrics metrics,
        ILogger logger, CancellationToken cancellationToken)
    {
        var now = OtpRequest.TruncateToSeconds(time.GetUtcNow());
        var request = new OtpRequest
        {
            Id = Guid.CreateVersion7(now),
            InstanceId = instance.Id,
            OtpType = OtpTypes.Link,
            Code = LinkCodes.New(),
            Name = input.Name,
            BoundChatId = input.ChatId,
            ChatId = input.ChatId,
            Phone = input.ChatId is null ? null : ChatId.Phone(input.ChatId),
            Language = input.Language,
            PromptMessage = input.Prompt,
            SuccessMessage = input.Success,
            FailedMessage = input.Failed,
            ExpiredMessage = input.Expired,
            CallbackSuccess = input.CallbackSuccess,
            CallbackFailed = input.CallbackFailed,
            Redirect = input.Redirect,
            CreatedAt = now,
            ExpiresAt = now.AddSeconds(input.Expires),
        };
        // Only a request the per-chat limit counts needs the unit that counts before it stores; the rest are batched.
        if (request.BoundChatId is null || limits.Options.PerChat <= 0)
        {
            await writer.SaveAsync(request, cancellationToken);
        }
        else if (await writer.SaveAsync(request, limits, cancellationToken) is { } refused)
        {
            return (request, refused);
        }

        metrics.RequestCreated(instance.Id, OtpTypes.Link);
        logger.LogDebug("Link request {RequestId} created for instance {InstanceId}, expires {ExpiresAt}", request.Id, instance.Id, request.ExpiresAt);
        return (request, null);
    }

    public static async Task<Results<Ok<ApiResponse<OtpRequestDetails>>, ApiError>> GetRequest(
        string uuid, HttpContext context, PasslineDb db, TimeProvider time, PublicUrls urls)
    {
        var instance = context.AuthenticatedInstance();
        if (!Guid.TryParse(uuid, out var id))
        {
            return ApiError.NotFound("OTP request not found.");
        }

        // In SQL through RowReads, not EF Core's query pipeline: a backend without callbacks polls this while its user
        // signs in.
        var aborted = context.RequestAborted;
        var request = await db.ReadFirstAsync<OtpRequest>("SELECT * FROM otp_requests WHERE id = @id AND instance_id = @instance",
            [db.Parameter<OtpRequest>(nameof(OtpRequest.Id), "id", id), db.Parameter<OtpRequest>(nameof(OtpRequest.InstanceId), "instance", instance.Id)], aborted);
        if (request is null)
        {
            return ApiError.NotFound("OTP request not found.");
        }

        var callback = await db.ReadFirstAsync<CallbackDelivery>("SELECT * FROM callback_deliveries WHERE request_id = @id ORDER BY created_at DESC LIMIT 1",
            [db.Parameter<CallbackDelivery>(nameof(CallbackDelivery.RequestId), "id", id)], aborted);
        var messages = await db.ReadAsync<OutboundMessage>("SELECT * FROM outbound_messages WHERE request_id = @id ORDER BY created_at",
            [db.Parameter<OutboundMessage>(nameof(OutboundMessage.RequestId), "id", id)], aborted);
        return TypedResults.Ok(new ApiResponse<OtpRequestDetails>(true, "OTP request retrieved successfully",
            OtpRequestDetails.From(request, instance, urls.Base(context.Request), time.GetUtcNow(), callback, messages)));
    }

    public static async Task<Results<Ok<ApiResponse<OtpRequestDetails>>, ApiError>> Cancel(
        string uuid, HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, PublicUrls urls)
    {
        var instance = context.AuthenticatedInstance();
        var request = Guid.TryParse(uuid, out var id)
            ? await db.OtpRequests.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id && r.InstanceId == instance.Id, context.RequestAborted)
            : null;
        if (request is null)
        {
            return ApiError.NotFound("OTP request not found.");
        }

        var cancelled = await requests.RunAsync(lifecycle => lifecycle.CancelAsync(request.Id), context.RequestAborted);
        if (cancelled is null)
        {
            var current = await db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == request.Id, context.RequestAborted);
            return ApiError.Conflict($"The request has already ended: it is {current.Status.Name()}.");
        }

        return TypedResults.Ok(new ApiResponse<OtpRequestDetails>(true, "OTP request cancelled successfully",
            OtpRequestDetails.From(cancelled, instance, urls.Base(context.Request), time.GetUtcNow())));
    }

    /// <summary>Redeems the one-time token the browser brought back after Verify (SPEC 2.4, 4.2): once, then 410.</summary>
    public static async Task<Results<Ok<ApiResponse<ExchangeData>>, ApiError>> Exchange(HttpContext context, RequestWork requests)
    {
        var (body, bodyError) = await JsonBody.ReadObjectAsync(context.Request, context.RequestAborted);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var fields = new FieldReader();
        var token = fields.String(body, "token", "token", 1, 200);
        if (token is null && !fields.HasErrors)
        {
            fields.Fail("token", "The token field is required.");
        }

        if (fields.HasErrors)
        {
            return fields.ToError();
        }

        var instanceId = context.AuthenticatedInstance().Id;
        var request = await requests.RunStatementAsync(lifecycle => lifecycle.ExchangeAsync(instanceId, token!), context.RequestAborted);
        if (request is null)
        {
            return ApiError.Gone("The token is unknown, expired or already used.");
        }

        return TypedResults.Ok(new ApiResponse<ExchangeData>(true, "Token exchanged successfully",
            new ExchangeData(request.Id, request.ChatId, request.Phone, request.UserId, request.Status.Name(), request.VerifiedAt)));
    }

}

/// <summary>The <c>data</c> of a generate-link answer (SPEC 2.2).</summary>
public sealed record LinkRequestData(
    Guid Uuid, string Code, string? ChatId, string Status, string OtpType,
    DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, string WhatsappLink, string LinkUrl)
{
    public static LinkRequestData From(OtpRequest request, Instance instance, string publicBase) => new(
        request.Id, request.Code, request.ChatId, request.Status.Name(), request.OtpType, request.ExpiresAt, request.CreatedAt,
        WhatsAppLink.Build(instance.Phone, MessageTemplates.Fill(request.PromptMessage ?? MessageTemplates.Prompt, request.Name, request.Code), request.Code),
        $"{publicBase}/l/{request.Id}");
}

/// <summary>Who verified: the answer of <c>POST /exchange</c>.</summary>
public sealed record ExchangeData(Guid Uuid, string? ChatId, string? Phone, string? UserId, string Status, DateTimeOffset? VerifiedAt);

/// <summary>
/// One WhatsApp message sent for a request and how it stands: <c>queued</c>, <c>sent</c>, <c>delivered</c>,
/// <c>read</c> or <c>failed</c> with the provider's error (SPEC 2.4).
/// </summary>
public sealed record MessageState(Guid Id, string Kind, string Status, string? Error, DateTimeOffset CreatedAt, DateTimeOffset? SentAt, DateTimeOffset? UpdatedAt)
{
    public static MessageState From(OutboundMessage message) => new(
        message.Id,
        message.Kind,
        message.DeliveryStatus ?? (message.Status == OutboundStatuses.Pending ? "queued" : message.Status),
        message.DeliveryStatus is null ? (message.Status == OutboundStatuses.Failed ? message.LastError : null) : message.DeliveryError,
        message.CreatedAt,
        message.SentAt,
        message.DeliveryUpdatedAt);
}

/// <summary>A request as <c>GET /requests/{uuid}</c> shows it (SPEC 2.4).</summary>
public sealed record OtpRequestDetails(
    Guid Uuid, string? Code, string? ChatId, string Status, string OtpType,
    DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt, string? WhatsappLink, string? LinkUrl,
    string? Phone, string? UserId, DateTimeOffset? VerifiedAt, DateTimeOffset? ValidatedAt, string? FailedReason, DateTimeOffset? MessageReceivedAt,
    CallbackState? Callback, IReadOnlyList<MessageState> Messages)
{
    public static OtpRequestDetails From(
        OtpRequest request, Instance instance, string publicBase, DateTimeOffset now, CallbackDelivery? callback = null, IReadOnlyList<OutboundMessage>? messages = null)
    {
        var link = request.OtpType == OtpTypes.Link ? LinkRequestData.From(request, instance, publicBase) : null;

        // A pending request past its expiry is expired even before the sweeper has written it down.
        var status = request.Status.IsOpen() && now >= request.ExpiresAt ? OtpStatus.Expired : request.Status;
        // A code OTP's code was shown once, in the request-code answer; only its hash is kept.
        return new(request.Id, link is null ? null : request.Code, request.ChatId, status.Name(), request.OtpType, request.ExpiresAt, request.CreatedAt,
            link?.WhatsappLink, link?.LinkUrl, request.Phone, request.UserId, request.VerifiedAt, request.ValidatedAt, request.FailedReason, request.MessageReceivedAt,
            callback is null ? null : CallbackState.From(callback), [.. (messages ?? []).Select(MessageState.From)]);
    }
}

/// <summary>How a request's callback stands, as <c>GET /requests/{uuid}</c> shows it.</summary>
public sealed record CallbackState(
    string Url, string Status, int Attempts, DateTimeOffset? LastAttemptAt, DateTimeOffset? DeliveredAt, int? LastStatusCode, string? LastError)
{
    public static CallbackState From(CallbackDelivery d) =>
        new(d.Url, d.Status, d.Attempts, d.LastAttemptAt, d.DeliveredAt, d.LastStatusCode, d.LastError);
}
