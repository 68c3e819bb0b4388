import { ServerResponse, IncomingMessage } from 'http';
import { Socket } from 'net';
import { appendHeader, mercureLink } from './link-header';

function response(): ServerResponse {
  return new ServerResponse(new IncomingMessage(new Socket()));
}

describe('appendHeader', () => {
  const hub = mercureLink('https://hub.example.com/.well-known/mercure');

  it('sets the header when there is none', () => {
    const res = response();
    appendHeader(res, 'Link', hub);
    expect(res.getHeader('Link')).toBe('<https://hub.example.com/.well-known/mercure>; rel="mercure"');
  });

  it('keeps what was there, whether one value, a joined list or an array', () => {
    for (const existing of ['</docs>; rel="help"', '</a>; rel="a", </b>; rel="b"', ['</a>; rel="a"', '</b>; rel="b"']]) {
      const res = response();
      res.setHeader('Link', existing);
      appendHeader(res, 'Link', hub);
      expect(res.getHeader('Link')).toBe(`${[existing].flat().join(', ')}, ${hub}`);
    }
  });

  it('never adds the same value twice, even inside a joined list', () => {
    const res = response();
    res.setHeader('Link', `</docs>; rel="help", ${hub}`);
    appendHeader(res, 'Link', hub);
    appendHeader(res, 'Link', hub);
    expect(res.getHeader('Link')).toBe(`</docs>; rel="help", ${hub}`);
  });
});
