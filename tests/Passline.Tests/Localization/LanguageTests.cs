using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;
using Passline.Codes;
using Passline.Links;
using Passline.Localization;
using Passline.Requests;
using Passline.Tests.Infrastructure;
using static Passline.Tests.Infrastructure.LinkFlow;

namespace Passline.Tests.Localization;

/// <summary>
/// SPEC 2.2 <c>language</c>: the default WhatsApp messages and the pages in the request's language, else the browser's
/// (pages), else the instance's; the code and the suffix of the pre-filled message never change.
/// </summary>
public sealed class LanguageTests(AppFixture fixture) : IClassFixture<AppFixture>
{
    private PasslineApp App => fixture.App;

    private static readonly string[] Phones = ["201063178738", "201063178739", "201063178740", "201063178741"];

    private static async Task<(HttpResponseMessage Response, JsonObject Json)> GenerateAsync(TestInstance instance, string body) =>
        await instance.Client().PostJsonAsync(instance.Api("generate-link"), body);

    [Fact]
    public async Task RequestLanguageChoosesTheWhatsAppMessages()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme");
        var (response, json) = await GenerateAsync(instance, """{"language": "ar"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var data = json["data"]!;
        var code = data["code"]!.GetValue<string>();

        // The prompt is Arabic; the code in brackets and the suffix are as the seed defines them.
        var text = $"أرسل لي رابط تسجيل الدخول إلى Acme [{code}] - DO NOT CHANGE THIS MESSAGE";
        Assert.Equal($"https://wa.me/201553730661?text={WhatsAppLink.FormEncode(text)}", data["whatsapp_link"]!.GetValue<string>());
        Assert.EndsWith($"+%5B{code}%5D+-+DO+NOT+CHANGE+THIS+MESSAGE", data["whatsapp_link"]!.GetValue<string>());

        Assert.Equal("matched", await SimulatorSendAsync(instance, text));
        var reply = Assert.Single(await SimulatorOutboxAsync(instance));
        Assert.StartsWith("إليك رابط تسجيل الدخول: http://127.0.0.1:", reply);
        Assert.Equal("ar", (await RequestAsync(App, Guid.Parse(data["uuid"]!.GetValue<string>()))).Language);

        // Once the request has ended, the same message is answered with the failed text, in Arabic too.
        var (cancelled, _) = await instance.Client().PostJsonAsync(instance.Api($"requests/{data["uuid"]}/cancel"), "{}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        Assert.Equal("ended", await SimulatorSendAsync(instance, text));
        var messages = await SimulatorOutboxAsync(instance, count: 2);
        Assert.Contains("فشل تسجيل الدخول، يُرجى المحاولة مرة أخرى لاحقًا.", messages);
    }

    [Fact]
    public async Task WithoutLanguageTheInstanceDefaultIsUsedAndEnglishIsTheSpecsByteForByte()
    {
        var german = await App.CreateInstanceAsync(name: "Acme", language: "de");
        var (_, json) = await GenerateAsync(german, "{}");
        var code = json["data"]!["code"]!.GetValue<string>();
        Assert.Equal("matched", await SimulatorSendAsync(german, $"Bitte senden Sie mir den Anmeldelink für Acme [{code}] - DO NOT CHANGE THIS MESSAGE"));
        Assert.StartsWith("Hier ist Ihr Anmeldelink: http://", Assert.Single(await SimulatorOutboxAsync(german)));

        var english = MessageTemplates.For("en");
        Assert.Equal(
            ("Give me link to login at {name}", "Here is your login link: {link}", "Login failed, please try again later.", "The link has been expired, please try another one."),
            (english.Prompt, english.Success, english.Failed, english.Expired));
        var plain = await App.CreateInstanceAsync(name: "Hypersender");
        var (_, data) = await GenerateAsync(plain, "{}");
        Assert.Matches(@"^https://wa\.me/201553730661\?text=Give\+me\+link\+to\+login\+at\+Hypersender\+%5B[A-Z]{8}%5D\+-\+DO\+NOT\+CHANGE\+THIS\+MESSAGE$",
            data["data"]!["whatsapp_link"]!.GetValue<string>());
    }

    [Fact]
    public async Task RequestCodeMessageFollowsTheLanguage()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme");
        var (response, json) = await instance.Client().PostJsonAsync(instance.Api("request-code"), $$"""{"chatId": "{{Phones[1]}}", "language": "pt-br"}""");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var code = json["data"]!["code"]!.GetValue<string>();
        var message = Assert.Single(await SimulatorOutboxAsync(instance, Phones[1] + "@c.us"));
        Assert.Equal($"{code} é o seu código de verificação do Acme. Ele expira em 30 minutos. Não compartilhe com ninguém.", message);
    }

    [Fact]
    public async Task RequestCodeMessageOfACodeThatLivesAMinuteSaysOneMinute()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme");
        foreach (var (language, phone) in new[] { ("en", Phones[2]), ("de", Phones[3]) })
        {
            var (response, json) = await instance.Client().PostJsonAsync(instance.Api("request-code"), $$"""{"chatId": "{{phone}}", "language": "{{language}}", "expires": 119}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var code = json["data"]!["code"]!.GetValue<string>();
            var message = Assert.Single(await SimulatorOutboxAsync(instance, phone + "@c.us"));
            Assert.Equal(
                language == "en"
                    ? $"{code} is your Acme verification code. It expires in 1 minute. Do not share it with anyone."
                    : $"{code} ist Ihr Bestätigungscode für Acme. Er läuft in 1 Minute ab. Geben Sie ihn an niemanden weiter.",
                message);
        }

        // Every language has its own singular: a missing one would fall back to English.
        var english = MessageTemplates.For("en").CodeOneMinute;
        Assert.All(Passline.Localization.Languages.Supported.Where(l => l != "en"), language =>
        {
            var singular = MessageTemplates.For(language).CodeOneMinute;
            Assert.NotEqual(english, singular);
            Assert.Contains("{code}", singular, StringComparison.Ordinal);
            Assert.Contains("{name}", singular, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("xx")]
    [InlineData("zh-CN")]
    [InlineData("english")]
    [InlineData("-")]
    public async Task AnUnsupportedLanguageIsRefusedNamingTheField(string language)
    {
        var instance = await App.CreateInstanceAsync();
        foreach (var (path, body) in new[]
        {
            ("generate-link", new JsonObject { ["language"] = language }),
            ("request-code", new JsonObject { ["chatId"] = Phones[2], ["language"] = language }),
        })
        {
            var (response, json) = await instance.Client().PostJsonAsync(instance.Api(path), body.ToJsonString());
            Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
            Assert.NotNull(json["errors"]!["language"]);
        }
    }

    [Theory]
    [InlineData("es-MX", "es")]
    [InlineData("pt", "pt-BR")]
    [InlineData("AR", "ar")]
    [InlineData("en-GB", "en")]
    public void RegionalVariantsCountAsTheirLanguage(string tag, string supported) => Assert.Equal(supported, Languages.Normalize(tag));

    [Fact]
    public async Task PagesFollowTheRequestThenTheBrowserThenTheInstance()
    {
        var instance = await App.CreateInstanceAsync(name: "Acme", language: "ru");

        async Task<string> PageAsync(string? language, string? acceptLanguage, string from)
        {
            var (_, json) = await GenerateAsync(instance, language is null ? "{}" : $$"""{"language": "{{language}}"}""");
            var code = json["data"]!["code"]!.GetValue<string>();
            var prompt = MessageTemplates.For(language ?? "ru").Prompt.Replace("{name}", "Acme", StringComparison.Ordinal);
            Assert.Equal("matched", await SimulatorSendAsync(instance, $"{prompt} [{code}] - DO NOT CHANGE THIS MESSAGE", from));
            var browser = App.Client();
            if (acceptLanguage is not null)
            {
                browser.DefaultRequestHeaders.AcceptLanguage.ParseAdd(acceptLanguage);
            }

            var (page, html, _) = await OpenAsync(browser, VerificationPath((await SimulatorOutboxAsync(instance, from + "@c.us")).Single()));
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            return html;
        }

        var requested = await PageAsync("fr", "tr-TR,tr;q=0.9", Phones[0]);
        Assert.Contains("""<html lang="fr" dir="ltr">""", requested);
        Assert.Contains("Se connecter à Acme\u00a0?", requested);

        var browsers = await PageAsync(null, "xx, ar-EG;q=0.8, en;q=0.5", Phones[1]);
        Assert.Contains("""<html lang="ar" dir="rtl">""", browsers);
        Assert.Contains("هل تريد تسجيل الدخول إلى Acme؟", browsers);

        var instances = await PageAsync(null, null, Phones[2]);
        Assert.Contains("""<html lang="ru" dir="ltr">""", instances);
        Assert.Contains("Войти в Acme?", instances);
    }

    /// <summary>Arabic's minutes: one, two, three to ten and eleven on each have their own form.</summary>
    [Theory]
    [InlineData(60, "تنتهي صلاحيته خلال دقيقة واحدة.")]
    [InlineData(120, "تنتهي صلاحيته خلال دقيقتين.")]
    [InlineData(300, "تنتهي صلاحيته خلال 5 دقائق.")]
    [InlineData(600, "تنتهي صلاحيته خلال 10 دقائق.")]
    [InlineData(900, "تنتهي صلاحيته خلال 15 دقيقة.")]
    [InlineData(6000, "تنتهي صلاحيته خلال 100 دقيقة.")]
    public void ArabicCodeMessagesPutTheMinutesInTheNumbersForm(int expires, string said)
    {
        var text = CodeApi.MessageText("123456", "Acme", expires, "ar");

        Assert.Contains(said, text, StringComparison.Ordinal);
        Assert.StartsWith("123456 هو رمز التحقق الخاص بك لدى Acme.", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ar", new[] { 0, 1, 2, 3, 10, 11, 99, 100, 102, 103, 111 }, new[] { "zero", "one", "two", "few", "few", "many", "many", "other", "other", "few", "many" })]
    [InlineData("ru", new[] { 1, 2, 4, 5, 11, 12, 21, 22, 25, 111 }, new[] { "one", "few", "few", "many", "many", "many", "one", "few", "many", "many" })]
    [InlineData("fr", new[] { 0, 1, 2 }, new[] { "one", "one", "other" })]
    [InlineData("en", new[] { 0, 1, 2 }, new[] { "other", "one", "other" })]
    [InlineData("id", new[] { 1, 2 }, new[] { "other", "other" })]
    public void PluralCategoriesAreCldrs(string language, int[] numbers, string[] categories) =>
        Assert.Equal(categories, numbers.Select(n => Plurals.Category(language, n)));

    [Fact]
    public void EveryLanguageHasEveryTextAndMessage()
    {
        var factory = App.Services.GetRequiredService<IStringLocalizerFactory>();
        foreach (var type in new[] { typeof(Texts), typeof(Messages) })
        {
            var localizer = factory.Create(type);
            var english = Languages.In("en", () => localizer.GetAllStrings(includeParentCultures: false).Select(s => s.Name).Order().ToList());
            Assert.NotEmpty(english);
            foreach (var language in Languages.Supported.Where(l => l != "en"))
            {
                var translated = Languages.In(language, () => localizer.GetAllStrings(includeParentCultures: false).ToList());
                Assert.Equal(english, translated.Select(s => s.Name).Where(n => !n.Contains('#', StringComparison.Ordinal)).Order().ToList());
                Assert.All(translated, s => Assert.False(string.IsNullOrWhiteSpace(s.Value), $"{language}: {s.Name}"));

                // A form for some numbers (Plurals) is of a text the language has, for a category its numbers have.
                var categories = Enumerable.Range(0, 1000).Select(n => Plurals.Category(language, n)).ToHashSet();
                Assert.All(translated.Where(s => s.Name.Contains('#', StringComparison.Ordinal)), s =>
                {
                    Assert.Contains(s.Name[..s.Name.LastIndexOf('#')], english);
                    Assert.Contains(s.Name[(s.Name.LastIndexOf('#') + 1)..], categories);
                });
            }
        }
    }
}
