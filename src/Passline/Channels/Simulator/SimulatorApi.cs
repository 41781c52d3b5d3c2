using System.Data.Common;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Passline.Api;
using Passline.Inbound;
using Passline.Instances;
using Passline.Outbox;
using Passline.Requests;
using Passline.Storage;

namespace Passline.Channels.Simulator;

/// <summary>
/// The built-in provider (SPEC 5): a phone that is an HTTP call away. <c>POST /inbound</c> plays a user sending a
/// message; <c>GET /outbox</c> shows what Passline sent. Only while <c>Passline:Simulator:Enabled</c>, only for
/// simulator instances, and only with the instance's token.
/// </summary>
public static class SimulatorApi
{
    public static IEndpointRouteBuilder MapSimulator(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/simulator/{instance}")
            .AddEndpointFilter(RequireSimulatorEnabled)
            .RequireInstanceToken()
            .AddEndpointFilter(RequireSimulatorInstance)
            .WithTags("Simulator");
        group.MapPost("/inbound", Inbound).WithName("SimulatorInbound").DocumentBody<SimulatorInboundRequest>();
        group.MapGet("/outbox", Outbox).WithName("SimulatorOutbox");
        return app;
    }

    public sealed record InboundResult(string Outcome);

    public sealed record SentMessage(Guid Id, string ChatId, string Text, DateTimeOffset SentAt);

    public static async Task<Results<Ok<ApiResponse<InboundResult>>, ApiError>> Inbound(HttpContext context, InboundProcessor processor, PublicUrls urls)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, context.RequestAborted);
        if (error is not null)
        {
            return error;
        }

        var fields = new FieldReader();
        var from = fields.String(body, "from", "from", 1, 100);
        var text = fields.String(body, "text", "text", 1, 4096, multiline: true);
        var id = fields.String(body, "id", "id", 1, 200);
        var (chatId, isGroup) = from is null ? (null, false) : IncomingMessage.Sender(from);
        if (from is null)
        {
            fields.Fail("from", "The from field is required: the sender's phone number or chat id.");
        }
        else if (chatId is null && !isGroup)
        {
            fields.Fail("from", "The from must be a WhatsApp chat id or phone number.");
        }

        if (text is null)
        {
            fields.Fail("text", "The text field is required.");
        }

        if (fields.HasErrors)
        {
            return fields.ToError();
        }

        var message = new IncomingMessage(id ?? $"sim_{Guid.NewGuid():N}", chatId ?? from!, chatId is null ? null : Requests.ChatId.Phone(chatId), text, FromMe: false, isGroup);
        var outcome = await processor.ProcessAsync(context.AuthenticatedInstance(), message, urls.Base(context.Request), context.RequestAborted);
        return TypedResults.Ok(new ApiResponse<InboundResult>(true, "Message received", new InboundResult(outcome)));
    }

    /// <summary>
    /// What Passline sent, oldest first (the last 200). With <c>chat_id</c> and <c>wait</c> (seconds, at most 30), an empty
    /// answer waits until a message to that chat is sent or the time is up, as a phone waits for its reply.
    /// </summary>
    public static async Task<Results<Ok<List<SentMessage>>, ApiError>> Outbox(
        HttpContext context, PasslineDb db, SimulatorMailbox mailbox, TimeProvider time, string? chat_id, string? wait)
    {
        var instance = context.AuthenticatedInstance();
        string? chatId = null;
        if (chat_id is not null && (chatId = Requests.ChatId.Normalize(chat_id)) is null)
        {
            return ApiError.Invalid("chat_id", "The chat_id must be a WhatsApp chat id or phone number.");
        }

        var waitSeconds = 0;
        if (wait is not null && (!int.TryParse(wait, out waitSeconds) || waitSeconds is < 0 or > 30 || chatId is null))
        {
            return ApiError.Invalid("wait", "The wait must be a number of seconds from 0 to 30, with a chat_id.");
        }

        // Taken before looking, so that a message sent while the query runs is not missed.
        var next = waitSeconds > 0 ? mailbox.Next((instance.Id, chatId!)) : null;
        var messages = await SentAsync(db, instance.Id, chatId, context.RequestAborted);
        if (messages.Count == 0 && next is not null)
        {
            await OutboxSignal.WaitAsync(next, TimeSpan.FromSeconds(waitSeconds), time, context.RequestAborted);
            mailbox.Forget((instance.Id, chatId!), next);
            messages = await SentAsync(db, instance.Id, chatId, context.RequestAborted);
        }

        return TypedResults.Ok(messages);
    }

    private static async Task<List<SentMessage>> SentAsync(PasslineDb db, Guid instanceId, string? chatId, CancellationToken cancellationToken)
    {
        // The last 200 by creation, which the chat's index (instance, chat, created) gives in order, whatever the table's
        // statistics say: ordered by sending time, one PostgreSQL benchmark run took 0.76 ms and ~1,250 buffer reads a
        // call where a few do (most likely a plan made while the table was new, through the status index). Then oldest
        // first by sending time, as they reached the phone.
        List<DbParameter> parameters = [db.Parameter<OutboundMessage>(nameof(OutboundMessage.InstanceId), "instance", instanceId)];
        if (chatId is not null)
        {
            parameters.Add(db.Parameter<OutboundMessage>(nameof(OutboundMessage.ChatId), "chat", chatId));
        }

        var sent = await db.ReadAsync<OutboundMessage>($"""
            SELECT * FROM outbound_messages
            WHERE instance_id = @instance AND status = '{OutboundStatuses.Sent}'{(chatId is null ? "" : " AND chat_id = @chat")}
            ORDER BY created_at DESC LIMIT 200
            """, parameters, cancellationToken);
        sent.Reverse();
        return [.. sent.Select(m => new SentMessage(m.Id, m.ChatId, m.Text, m.SentAt!.Value)).OrderBy(m => m.SentAt)];
    }

    private static ValueTask<object?> RequireSimulatorEnabled(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        invocation.HttpContext.RequestServices.GetRequiredService<IOptions<SimulatorOptions>>().Value.Enabled
            ? next(invocation)
            : ValueTask.FromResult<object?>(ApiError.NotFound("The simulator is disabled (Passline:Simulator:Enabled)."));

    private static ValueTask<object?> RequireSimulatorInstance(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next) =>
        invocation.HttpContext.AuthenticatedInstance().Provider == Providers.Simulator
            ? next(invocation)
            : ValueTask.FromResult<object?>(ApiError.NotFound("This instance does not use the simulator provider."));
}
