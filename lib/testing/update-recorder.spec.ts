import { Update } from '../publisher/update';
import { UpdateRecorder } from './update-recorder';

describe('UpdateRecorder', () => {
  it('records updates and answers with urn:uuid ids (or the update id)', async () => {
    const recorder = new UpdateRecorder();
    const id = await recorder.send(new Update('https://example.com/books/1', '{}'));
    expect(id).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(await recorder.send(new Update(['https://example.com/books/2', 'alt'], '', { id: 'mine' }))).toBe('mine');
    expect(recorder.updates).toHaveLength(2);
    expect(recorder.topics()).toEqual(['https://example.com/books/1', 'https://example.com/books/2']);
    recorder.clear();
    expect(recorder.updates).toEqual([]);
  });

  it('waitFor resolves with an update already recorded or arriving later', async () => {
    const recorder = new UpdateRecorder();
    await recorder.send(new Update('a', '1'));
    await expect(recorder.waitFor((u) => u.topics[0] === 'a')).resolves.toMatchObject({ data: '1' });
    const later = recorder.waitFor((u) => u.data === '2', 1000);
    setTimeout(() => void recorder.send(new Update('b', '2')), 10);
    await expect(later).resolves.toMatchObject({ topics: ['b'] });
  });

  it('waitFor rejects after the timeout, listing the recorded topics', async () => {
    const recorder = new UpdateRecorder();
    await recorder.send(new Update('a'));
    await expect(recorder.waitFor(() => false, 20)).rejects.toThrow('recorded topics: ["a"]');
  });
});
