import { describe, expect, it } from 'vitest';
import {
  completeAttachment,
  completeAttachments,
  guessMediaType,
  nameFromUrl,
} from './attachments.js';
import { sampleMessage } from './test-fixtures.js';

describe('attachments', () => {
  it('takes the name from the last URL path segment, percent-decoded', () => {
    expect(nameFromUrl('https://up.lit/a/b/Holiday%20pic%C3%A9.JPG?x=1#f')).toBe(
      'Holiday picé.JPG',
    );
    expect(nameFromUrl('https://up.lit/a/bad%ZZname.png')).toBe('bad%ZZname.png');
    expect(nameFromUrl('https://up.lit/a/x%2F..%2Fy.txt')).toBe('x_.._y.txt');
    expect(nameFromUrl('https://up.lit/dir/')).toBeUndefined();
    expect(nameFromUrl('not a url')).toBeUndefined();
  });

  it('guesses the media type from the extension', () => {
    expect(guessMediaType('Photo.JPG')).toBe('image/jpeg');
    expect(guessMediaType('song.opus')).toBe('audio/ogg');
    expect(guessMediaType('archive.tar.gz')).toBe('application/gzip');
    expect(guessMediaType('README')).toBeUndefined();
    expect(guessMediaType('.png')).toBeUndefined();
    expect(guessMediaType('file.unknownext')).toBeUndefined();
  });

  it('completes missing name and media type and keeps given values', () => {
    expect(completeAttachment({ url: 'https://x.lit/f/cat%20photo.png' })).toEqual({
      url: 'https://x.lit/f/cat%20photo.png',
      name: 'cat photo.png',
      mediaType: 'image/png',
    });
    expect(
      completeAttachment({ url: 'https://x.lit/f/c.png', name: 'mine.webm', mediaType: 'x/y' }),
    ).toEqual({ url: 'https://x.lit/f/c.png', name: 'mine.webm', mediaType: 'x/y' });
    expect(completeAttachment({ sources: [{ url: 'https://x.lit/s.pdf' }] })).toEqual({
      sources: [{ url: 'https://x.lit/s.pdf' }],
      name: 's.pdf',
      mediaType: 'application/pdf',
    });
  });

  it('completes every attachment of a message and leaves others untouched', () => {
    const plain = sampleMessage();
    expect(completeAttachments(plain)).toBe(plain);
    const m = sampleMessage({
      extra: { attachments: [{ url: 'https://x.lit/a.mp3' }, { url: 'https://x.lit/b' }], k: 1 },
    });
    expect(completeAttachments(m).extra).toEqual({
      attachments: [
        { url: 'https://x.lit/a.mp3', name: 'a.mp3', mediaType: 'audio/mpeg' },
        { url: 'https://x.lit/b', name: 'b' },
      ],
      k: 1,
    });
  });
});
