using System.Net;
using System.Net.Http.Headers;
using Microsoft.EntityFrameworkCore;
using Passline.Instances;
using Passline.Requests;
using Passline.Tests.Infrastructure;

namespace Passline.Tests.Instances;

public sealed class AuthenticationTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer pl_unknownunknownunknownunknownunknownunknown")]
    [InlineData("Token pl_x")]
    public async Task MissingMalformedOrUnknownTokenIs401(string? authorization)
    {
        var instance = await App.CreateInstanceAsync();
        var client = App.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, instance.Api("generate-link")) { Content = Json.Body("{}") };
        if (authorization is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        var response = await client.SendAsync(request);
        var body = await response.ReadObjectAsync();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.False(body["success"]!.GetValue<bool>());
        Assert.Equal("Unauthenticated.", body["message"]!.GetValue<string>());
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme); // how to authenticate (RFC 9110)
        Assert.Equal(0, await App.WithDbAsync(db => db.OtpRequests.CountAsync(r => r.InstanceId == instance.Id)));
    }

    [Fact]
    public async Task TokenOfAnotherInstanceIs403()
    {
        var mine = await App.CreateInstanceAsync();
        var theirs = await App.CreateInstanceAsync();

        var response = await mine.Client().PostAsync(theirs.Api("generate-link"), Json.Body("{}"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False((await response.ReadObjectAsync())["success"]!.GetValue<bool>());
        Assert.Equal(0, await App.WithDbAsync(db => db.OtpRequests.CountAsync(r => r.InstanceId == theirs.Id)));
    }

    [Theory]
    [InlineData("0198c0de-0000-7000-8000-000000000000")]
    [InlineData("not-a-uuid")]
    public async Task UnknownInstanceIs404(string instanceId)
    {
        var instance = await App.CreateInstanceAsync();
        var response = await instance.Client().PostAsync($"/api/otp/v2/{instanceId}/generate-link", Json.Body("{}"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("Instance not found.", (await response.ReadObjectAsync())["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task RevokedTokenIsRefused()
    {
        var instance = await App.CreateInstanceAsync();
        var client = instance.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(instance.Api("generate-link"), null)).StatusCode);

        await App.WithDbAsync(db => db.ApiTokens.Where(t => t.InstanceId == instance.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, App.Time.GetUtcNow())));

        // Valid tokens are remembered for Passline:Auth:TokenCacheSeconds (10 by default), on every node alike; then the
        // revocation holds everywhere.
        App.Time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(instance.Api("generate-link"), null)).StatusCode);
        App.Time.Advance(TimeSpan.FromSeconds(1));
        var response = await client.PostAsync(instance.Api("generate-link"), null);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task WithoutATokenCacheARevokedTokenIsRefusedAtOnce()
    {
        await using var database = await TestDatabase.CreateAsync();
        await using var app = new PasslineApp(database, new Dictionary<string, string?> { ["Passline:Auth:TokenCacheSeconds"] = "0" });
        var instance = await app.CreateInstanceAsync();
        var client = instance.Client();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(instance.Api("generate-link"), null)).StatusCode);

        await app.WithDbAsync(db => db.ApiTokens.Where(t => t.InstanceId == instance.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(t => t.RevokedAt, app.Time.GetUtcNow())));

        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsync(instance.Api("generate-link"), null)).StatusCode);
    }

    [Fact]
    public async Task SchemeNameIsCaseInsensitive()
    {
        var instance = await App.CreateInstanceAsync();
        var client = App.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("bearer", instance.Token);

        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync(instance.Api("generate-link"), null)).StatusCode);
    }

    [Fact]
    public async Task OnlyTheTokenHashIsStored()
    {
        var instance = await App.CreateInstanceAsync();
        var stored = await App.WithDbAsync(db => db.ApiTokens.SingleAsync(t => t.InstanceId == instance.Id));

        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(instance.Token)), stored.Hash);
        Assert.True(instance.Token.Length >= 43, "at least 32 random bytes");
    }
}
