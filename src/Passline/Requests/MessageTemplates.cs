namespace Passline.Requests;

/// <summary>The WhatsApp texts of a link request and their placeholders (SPEC 2.2).</summary>
public static class MessageTemplates
{
    public const string Prompt = "Give me link to login at {name}";
    public const string Success = "Here is your login link: {link}";
    public const string Failed = "Login failed, please try again later.";
    public const string Expired = "The link has been expired, please try another one.";

    public static string Fill(string template, string name, string code, string? link = null)
    {
        var text = template.Replace("{name}", name, StringComparison.Ordinal).Replace("{code}", code, StringComparison.Ordinal);
        return link is null ? text : text.Replace("{link}", link, StringComparison.Ordinal);
    }
}
