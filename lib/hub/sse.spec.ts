import { encodeEvent } from './sse';

describe('encodeEvent', () => {
  it('writes id and one data line', () => {
    expect(encodeEvent({ id: 'urn:1', topics: ['/a'], data: 'hello', private: false })).toBe(
      'id: urn:1\ndata: hello\n\n',
    );
  });

  it('writes event and retry before id', () => {
    expect(encodeEvent({ id: 'i', topics: ['/a'], data: 'x', private: false, type: 'book', retry: 500 })).toBe(
      'event: book\nretry: 500\nid: i\ndata: x\n\n',
    );
  });

  it('writes one data line per line, whatever the line break', () => {
    expect(encodeEvent({ id: 'i', topics: ['/a'], data: 'a\nb\r\nc\rd\n', private: false })).toBe(
      'id: i\ndata: a\ndata: b\ndata: c\ndata: d\ndata: \n\n',
    );
  });

  it('writes an empty data line for empty data', () => {
    expect(encodeEvent({ id: 'i', topics: ['/a'], data: '', private: false })).toBe('id: i\ndata: \n\n');
  });
});
