// A custom Nunjucks filter for node-nunjucks.yaml.
module.exports = (text) => String(text).toUpperCase() + '!';
