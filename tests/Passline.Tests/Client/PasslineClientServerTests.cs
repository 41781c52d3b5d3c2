using System.Net;
using Passline.Client;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Client;

/// <summary>The client against the real Passline server: the contract both sides implement.</summary>
public sealed class PasslineClientServerTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    private PasslineClient ClientFor(TestInstance instance, string? token = null) =>
        new(new HttpClient { BaseAddress = App.BaseAddress }, instance.Id, token ?? instance.Token);

    [Fact]
    public async Task GeneratedLinkReadsBackAsTheSameRequest()
    {
        var instance = await App.CreateInstanceAsync(name: "Hypersender", phone: "201553730661");
        var client = ClientFor(instance);

        var link = await client.GenerateLinkAsync(new GenerateLinkRequest
        {
            Expires = 1800,
            Name = "Hypersender",
            ChatId = "+20 123 456 789",
            Message = new LinkMessages { Prompt = "Give me link to login at {name}" },
        });
        var details = await client.GetRequestAsync(link.Uuid);

        Assert.Equal(OtpStatus.Pending, link.Status);
        Assert.Equal("link", link.OtpType);
        Assert.Equal("20123456789@c.us", link.ChatId);
        Assert.Equal(PasslineApp.Start, link.CreatedAt);
        Assert.Equal(PasslineApp.Start.AddSeconds(1800), link.ExpiresAt);
        Assert.Equal(
            $"https://wa.me/201553730661?text=Give+me+link+to+login+at+Hypersender+%5B{link.Code}%5D+-+DO+NOT+CHANGE+THIS+MESSAGE",
            link.WhatsappLink);
        Assert.EndsWith($"/l/{link.Uuid}", link.LinkUrl, StringComparison.Ordinal);

        Assert.Equal(
            (link.Uuid, link.Code, link.ChatId, link.Status, link.OtpType, link.ExpiresAt, link.CreatedAt, link.WhatsappLink, link.LinkUrl),
            (details.Uuid, details.Code, details.ChatId, details.Status, details.OtpType, details.ExpiresAt, details.CreatedAt, details.WhatsappLink, details.LinkUrl));
        Assert.Equal("+20123456789", details.Phone);
        Assert.Null(details.VerifiedAt);
        Assert.Null(details.FailedReason);
    }

    [Fact]
    public async Task ServerValidationErrorsReachTheException()
    {
        var instance = await App.CreateInstanceAsync();

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(instance).GenerateLinkAsync(new GenerateLinkRequest
        {
            Expires = 5,
            Message = new LinkMessages { Success = "no placeholder" },
        }));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.StatusCode);
        Assert.Equal("The given data was invalid.", error.Message);
        Assert.Contains("expires", error.Errors.Keys);
        Assert.Contains("message.success", error.Errors.Keys);
    }

    [Fact]
    public async Task UnknownRequestIsNotFound()
    {
        var instance = await App.CreateInstanceAsync();

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(instance).GetRequestAsync(Guid.NewGuid()));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Equal("OTP request not found.", error.Message);
    }

    [Fact]
    public async Task WrongTokenIsUnauthenticated()
    {
        var instance = await App.CreateInstanceAsync();

        var error = await Assert.ThrowsAsync<PasslineApiException>(() => ClientFor(instance, "pl_not_a_token").GenerateLinkAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("Unauthenticated.", error.Message);
    }
}
