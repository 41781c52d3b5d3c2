namespace Passline.Localization;

/// <summary>
/// The default WhatsApp messages (SPEC 2.2 <c>message.*</c> and the <c>request-code</c> message), in
/// <c>Messages.resx</c> (English, byte for byte as SPEC 2.2 gives them) and one <c>Messages.{language}.resx</c> per language.
/// </summary>
public sealed class Messages;
