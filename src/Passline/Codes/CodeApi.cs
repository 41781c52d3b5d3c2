using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Passline.Api;
using Passline.Instances;
using Passline.Outbox;
using Passline.RateLimiting;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Codes;

/// <summary><c>POST /request-code</c> and <c>POST /validate-code</c> (SPEC 2.3): classic numeric (or alphanumeric) codes sent over WhatsApp.</summary>
public static class CodeApi
{
    public const int MaxWrongAttempts = 5;

    public static IEndpointRouteBuilder MapCodeApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/otp/v2/{instance}").RequireInstanceToken().WithTags("OTP code");
        group.MapPost("/request-code", RequestCode).WithName("RequestCode").DocumentBody<RequestCodeRequest>()
            .Produces<ErrorBody>(StatusCodes.Status409Conflict);
        group.MapPost("/validate-code", ValidateCode).WithName("ValidateCode").DocumentBody<ValidateCodeRequest>();
        return app;
    }

    public sealed record CodeRequestData(Guid Uuid, string ChatId, string Code, string Status, string OtpType, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

    public sealed record ValidatedData(Guid Uuid, string ChatId, string Status, DateTimeOffset ValidatedAt);

    public static async Task<Results<Ok<ApiResponse<CodeRequestData>>, ApiError>> RequestCode(
        HttpContext context, RequestWork requests, TimeProvider time, RateLimits limits, SecretBox secrets, Monitoring.PasslineMetrics metrics,
        Microsoft.Extensions.Options.IOptions<Callbacks.CallbackOptions> callbacks,
        Microsoft.Extensions.Options.IOptions<Channels.Simulator.SimulatorOptions> simulator, ILogger<OtpRequest> logger)
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

        var (input, invalid) = RequestCodeInput.Read(body, instance, callbacks.Value.AllowPrivateNetworks);
        if (input is null)
        {
            return invalid!;
        }

        // A code is a business-initiated message: outside the 24-hour customer-service window Meta delivers only templates.
        if (instance.Provider == Providers.CloudApi && string.IsNullOrEmpty(instance.Settings.AuthTemplate))
        {
            return ApiError.Conflict(
                "This instance has no authentication template: on the WhatsApp Cloud API a code can only be sent with one. Set it with instance update --auth-template NAME.");
        }

        if ((await limits.CheckChatAsync(instance.Id, input.ChatId, context.RequestAborted) ?? await limits.CheckInstanceAsync(instance.Id, context.RequestAborted)) is { } limited)
        {
            return limited;
        }

        var now = OtpRequest.TruncateToSeconds(time.GetUtcNow());
        var code = RandomNumberGenerator.GetString(input.Alphabet, input.Length);
        var request = new OtpRequest
        {
            Id = Guid.CreateVersion7(now),
            InstanceId = instance.Id,
            OtpType = OtpTypes.Code,
            Code = "",
            Name = input.Name,
            BoundChatId = input.ChatId,
            ChatId = input.ChatId,
            Phone = ChatId.Phone(input.ChatId),
            UserId = ChatId.Phone(input.ChatId) is null ? input.ChatId : null,
            CallbackSuccess = input.CallbackSuccess,
            CallbackFailed = input.CallbackFailed,
            CreatedAt = now,
            ExpiresAt = now.AddSeconds(input.Expires),
            Language = input.Language,
        };
        request.CodeHash = CodeHash(secrets, request.Id, code);

        // The limit decided in the unit that stores the request: calls for one chat that arrive together take turns.
        var refused = await requests.RunAsync<ApiError?>(async lifecycle =>
        {
            if (await limits.CheckChatBeforeInsertAsync(lifecycle.Work, instance.Id, input.ChatId) is { } tooMany)
            {
                return tooMany;
            }

            await lifecycle.SupersedeCodesAsync(instance.Id, input.ChatId);
            lifecycle.Create(request);
            lifecycle.Send(instance.Id, request.Id, input.ChatId, MessageText(code, input.Name, input.Expires, input.Language ?? instance.Language), OutboundKinds.Code, code);
            return null;
        }, context.RequestAborted);
        if (refused is not null)
        {
            return refused;
        }

        metrics.RequestCreated(instance.Id, OtpTypes.Code);
        logger.LogDebug("Code request {RequestId} created for instance {InstanceId}, expires {ExpiresAt}", request.Id, instance.Id, request.ExpiresAt);
        return TypedResults.Ok(new ApiResponse<CodeRequestData>(true, "OTP code generated and message queued successfully",
            new CodeRequestData(request.Id, input.ChatId, code, request.Status.Name(), request.OtpType, request.ExpiresAt, request.CreatedAt)));
    }

    public static async Task<Results<Ok<ApiResponse<ValidatedData>>, ApiError>> ValidateCode(
        HttpContext context, PasslineDb db, RequestWork requests, TimeProvider time, SecretBox secrets)
    {
        var (body, bodyError) = await JsonBody.ReadObjectAsync(context.Request, context.RequestAborted);
        if (bodyError is not null)
        {
            return bodyError;
        }

        var fields = new FieldReader();
        var chatId = RequestCodeInput.ReadChatId(fields, body);

        // Codes are digits, so clients may send them as JSON numbers; the text is what is compared.
        var code = FieldReader.Find(body, "code") is var (value, _)
            ? value.ValueKind == System.Text.Json.JsonValueKind.Number ? value.GetRawText() : fields.String(body, "code", "code", 1, 20)
            : null;
        if (code is null)
        {
            fields.Fail("code", "The code field is required."); // unless the code's own error is there already
        }

        if (fields.HasErrors)
        {
            return fields.ToError();
        }

        var instance = context.AuthenticatedInstance();
        var request = await db.OtpRequests.AsNoTracking()
            .Where(r => r.InstanceId == instance.Id && r.OtpType == OtpTypes.Code && r.ChatId == chatId)
            .OrderByDescending(r => r.CreatedAt)
            .FirstOrDefaultAsync(context.RequestAborted);
        if (request is null)
        {
            return Refused("No active code for this chat: request a code first.");
        }

        var now = time.GetUtcNow();
        if (request.Status.IsOpen() && now < request.ExpiresAt)
        {
            if (CodeMatches(secrets, request, code!.Trim()))
            {
                var validated = await requests.RunAsync(lifecycle => lifecycle.ValidateAsync(request.Id, MaxWrongAttempts), context.RequestAborted);
                if (validated is not null)
                {
                    return TypedResults.Ok(new ApiResponse<ValidatedData>(true, "OTP code validated successfully",
                        new ValidatedData(validated.Id, validated.ChatId!, validated.Status.Name(), validated.ValidatedAt!.Value)));
                }
            }
            else if (await requests.RunAsync(lifecycle => lifecycle.CountWrongCodeAsync(request.Id, MaxWrongAttempts), context.RequestAborted) is { } left)
            {
                return Refused(left > 0
                    ? $"The code is incorrect. {left} {(left == 1 ? "attempt" : "attempts")} left."
                    : "The code is incorrect. Too many wrong attempts: request a new code.");
            }

            // Another call changed the request meanwhile: answer as it now stands.
            request = await db.OtpRequests.AsNoTracking().FirstAsync(r => r.Id == request.Id, context.RequestAborted);
        }

        return request.Status switch
        {
            OtpStatus.Validated => Refused("This code has already been validated."),
            OtpStatus.Failed when request.FailedReason == FailedReasons.TooManyAttempts => Refused("Too many wrong attempts: request a new code."),
            OtpStatus.Failed => Refused("No active code for this chat: request a new code."),
            OtpStatus.Expired => Refused(ExpiredMessage),
            _ when now >= request.ExpiresAt => await ExpiredAsync(requests, request, context.RequestAborted),

            // Open and live: only what a concurrent call did can have brought us here; say what is true, never "expired".
            _ when request.FailedAttempts >= MaxWrongAttempts => Refused("Too many wrong attempts: request a new code."),
            _ => Refused("The code is incorrect."),
        };
    }

    private static async Task<ApiError> ExpiredAsync(RequestWork requests, OtpRequest request, CancellationToken cancellationToken)
    {
        await requests.RunAsync(lifecycle => lifecycle.ExpireAsync(request.Id), cancellationToken);
        return Refused(ExpiredMessage);
    }

    private const string ExpiredMessage = "The code has expired: request a new code.";

    private static ApiError Refused(string message) =>
        ApiError.Unprocessable(message, new Dictionary<string, string[]> { ["code"] = [message] });

    /// <summary>
    /// The stored form of a code: keyed with <c>Passline:Secrets:Key</c> (<see cref="SecretBox.Hash"/>), since a reader
    /// of the database could try all million six-digit codes against a bare hash in a second; salted with the request
    /// id, so equal codes of two requests differ.
    /// </summary>
    public static byte[] CodeHash(SecretBox secrets, Guid requestId, string code) => secrets.Hash(requestId.ToByteArray(), code);

    /// <summary>
    /// Whether <paramref name="code"/> is the request's, in constant time. A 32-byte hash is the bare SHA-256 that codes
    /// were stored as before 2026-11-28; such a code expires within a day of the upgrade.
    /// </summary>
    public static bool CodeMatches(SecretBox secrets, OtpRequest request, string code) => request.CodeHash is { Length: SHA256.HashSizeInBytes } bare
        ? CryptographicOperations.FixedTimeEquals(SHA256.HashData([.. request.Id.ToByteArray(), .. Encoding.UTF8.GetBytes(code)]), bare)
        : secrets.Matches(request.CodeHash, request.Id.ToByteArray(), code);

    /// <summary>The request-code message in <paramref name="language"/>, its minutes in the number's form.</summary>
    public static string MessageText(string code, string name, int expiresSeconds, string? language = null)
    {
        var minutes = Math.Max(1, expiresSeconds / 60);
        return MessageTemplates.Fill(MessageTemplates.CodeTemplate(language, minutes), name, code)
            .Replace("{minutes}", minutes.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }
}
