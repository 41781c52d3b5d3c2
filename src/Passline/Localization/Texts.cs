namespace Passline.Localization;

/// <summary>The words of the pages, in <c>Texts.resx</c> (English) and one <c>Texts.{language}.resx</c> per language.</summary>
public sealed class Texts;
