// Building the page: every value reaches the DOM as a text node or through setAttribute on a name the
// code chooses, never as HTML to parse.

import { text } from './format.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

/** el('td', {className: 'num', title: '…', data: {testid: 'x'}}, ['text', node, …]) */
export function el(tag, props, children) {
  const node = document.createElement(tag);
  applyProps(node, props);
  append(node, children);
  return node;
}
/** svg('rect', {x: 1, class: 'bar'}, children): an SVG element with these attributes. */
export function svg(tag, attrs, children) {
  const node = document.createElementNS(SVG_NS, tag);
  Object.keys(attrs || {}).forEach(function (name) {
    node.setAttribute(name, String(attrs[name]));
  });
  append(node, children);
  return node;
}
function applyProps(node, props) {
  if (!props) return;
  if (props.className) node.className = props.className;
  if (props.title != null) node.title = String(props.title);
  if (props.data)
    Object.keys(props.data).forEach(function (k) {
      node.setAttribute('data-' + k, String(props.data[k]));
    });
  if (props.attrs)
    Object.keys(props.attrs).forEach(function (k) {
      node.setAttribute(k, String(props.attrs[k]));
    });
}
function append(node, children) {
  if (children == null) return;
  (Array.isArray(children) ? children : [children]).forEach(function (child) {
    if (child == null || child === false) return;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  });
}
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

export function badge(value, tone) {
  return el('span', { className: 'badge ' + (tone || '') }, text(value));
}
export function emptyState(message, compact) {
  return el('div', { className: 'empty' + (compact ? ' compact' : ''), data: { testid: 'empty' } }, message);
}
