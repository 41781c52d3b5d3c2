using System.Net;
using Microsoft.AspNetCore.Http;
using Passline.Client;

namespace Passline.Tests.Client;

public sealed class PasslineClientErrorTests
{
    private static readonly Guid Instance = Guid.Parse("01a21399-819d-729f-9218-7823f78c6928");

    private static PasslineClient ClientFor(ScriptedServer server) =>
        new(new HttpClient { BaseAddress = server.BaseAddress }, Instance, "pl_test_token");

    [Fact]
    public async Task ValidationFailureCarriesFieldErrors()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(422, """
            {"success": false, "message": "The given data was invalid.",
             "errors": {"expires": ["The expires must be an integer between 60 and 86400."],
                        "message.success": ["The message.success must contain {link}."]}}
            """));

        var error = await Assert.ThrowsAsync<PasslineApiException>(() =>
            ClientFor(server).GenerateLinkAsync(new GenerateLinkRequest { Expires = 5, Message = new LinkMessages { Success = "no link" } }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("The given data was invalid.", error.Message);
        Assert.Equal(["expires", "message.success"], error.Errors.Keys.Order());
        Assert.Equal(["The expires must be an integer between 60 and 86400."], error.Errors["expires"]);
        Assert.Equal(["The message.success must contain {link}."], error.Errors["message.success"]);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task ValidateCodeFailureCarriesTheServerMessage()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(422,
            """{"success": false, "message": "Wrong code, 4 attempts left."}"""));

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(server).ValidateCodeAsync("20123456789@c.us", "000000"));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("Wrong code, 4 attempts left.", error.Message);
        Assert.Empty(error.Errors);
    }

    [Fact]
    public async Task RateLimitCarriesRetryAfter()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(429,
            """{"success": false, "message": "Too many requests for this chat, try again later."}""",
            response => response.Headers.RetryAfter = "42"));

        var error = await Assert.ThrowsAsync<PasslineApiException>(() =>
            ClientFor(server).GenerateLinkAsync(new GenerateLinkRequest { ChatId = "20123456789@c.us" }));

        Assert.Equal(HttpStatusCode.TooManyRequests, error.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(42), error.RetryAfter);
        Assert.Equal("Too many requests for this chat, try again later.", error.Message);
        Assert.Empty(error.Errors);
    }

    [Fact]
    public async Task RetryAfterAsHttpDateIsMeasuredFromTheServersClock()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(429,
            """{"success": false, "message": "Too many requests."}""",
            response =>
            {
                response.Headers.Date = "Mon, 29 Dec 2025 17:44:55 GMT";
                response.Headers.RetryAfter = "Mon, 29 Dec 2025 17:45:25 GMT";
            }));

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(server).GenerateLinkAsync());

        Assert.Equal(TimeSpan.FromSeconds(30), error.RetryAfter);
    }

    [Fact]
    public async Task GatewayErrorWithoutJsonStillThrowsApiException()
    {
        await using var server = await ScriptedServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            context.Response.ContentType = "text/html";
            return context.Response.WriteAsync("<html><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>");
        });

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(server).GetRequestAsync(Guid.NewGuid()));

        Assert.Equal(HttpStatusCode.BadGateway, error.StatusCode);
        Assert.Equal("Passline answered HTTP 502 (Bad Gateway) without a JSON error message.", error.Message);
        Assert.Empty(error.Errors);
        Assert.Null(error.RetryAfter);
    }

    [Fact]
    public async Task ErrorWithEmptyBodyThrowsApiException()
    {
        await using var server = await ScriptedServer.StartAsync(context =>
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "5";
            return Task.CompletedTask;
        });

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(server).GetStatsAsync());

        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("503", error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(5), error.RetryAfter);
    }

    [Fact]
    public async Task SuccessWithABodyThatIsNotJsonThrowsApiException()
    {
        await using var server = await ScriptedServer.StartAsync(context =>
        {
            context.Response.ContentType = "text/html";
            return context.Response.WriteAsync("<html>Welcome to nginx!</html>");
        });

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(server).GenerateLinkAsync());

        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
        Assert.Contains("not the expected JSON", error.Message, StringComparison.Ordinal);
        Assert.IsType<System.Text.Json.JsonException>(error.InnerException, exactMatch: false);
    }

    [Fact]
    public async Task SuccessWithoutDataThrowsApiException()
    {
        await using var server = await ScriptedServer.StartAsync(ScriptedServer.Json(200, """{"success": true, "message": "OK"}"""));

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(server).ExchangeAsync("token"));

        Assert.Equal(HttpStatusCode.OK, error.StatusCode);
    }
}
