var P,mt,On,Z,qe,Se,ft,ve,ht,Fe,Ie,jn,me=Symbol.for("pv"),ke={},xe=[],qn=/^m(i|n|o|s|text|space)$/,He=Array.isArray,Je=xe.slice,te=Object.assign;function ee(e){e&&e.parentNode&&e.remove()}function Be(e,t,n){var s,r,o,a={},d=arguments.length;for(o in t)o=="key"?s=t[o]:o=="ref"&&typeof e!="function"?r=t[o]:a[o]=t[o];return d>2&&(a.children=d>3?Je.call(arguments,2):n),ue(e,a,s,r,null)}function ue(e,t,n,s,r){var o={type:e,props:t,key:n,ref:s,__k:null,__:null,__b:0,__e:null,__c:null,constructor:me,__v:r||++mt,__i:-1,__u:0};return!r&&P.vnode&&P.vnode(o),o}function Te(e){return e.children}function pe(e,t){this.props=e,this.context=t,this.__g=0}function X(e,t){if(t==null)return e.__&&X(e.__,e.__i+1);for(var n;t<e.__k.length;t++)if((n=e.__k[t])&&n.__e)return n.__e;return typeof e.type!="function"||e.props.__P?null:X(e)}function In(e){var t,n=e.__v,s=n.__e,r=[],o=[],a=e.__P;a&&((t=te({constructor:me},n)).__v=n.__v+1,P.vnode&&P.vnode(t),Ue(a,t,n,e.__n,a.namespaceURI,32&n.__u?[s]:null,r,s||X(n),32&n.__u,o),t.__v=n.__v,t.__.__k[t.__i]=t,vt(r,t,o),n.__=n.__e=null,t.__e!=s&&gt(t))}function gt(e){if((e=e.__)&&e.__c&&!e.props.__P)return e.__e=null,e.__k.some(function(t){return t&&(e.__e=t.__e)}),gt(e)}function ut(e){(8&e.__g||(e.__g|=8,Z.push(e),Se++))&&qe==P.debounceRendering||((qe=P.debounceRendering)||queueMicrotask)($t)}function $t(){try{for(var e,t=1;Z.length;)Z.length>t&&Z.sort(ft),e=Z.shift(),t=Z.length,8&e.__g&&In(e)}finally{(Se=Z.length)&&(qe||queueMicrotask)($t)}}function bt(e,t,n,s,r,o,a,d,u,p,c){var m,h,l,f,$,b,v=s.__k||xe,y=t.length;for(u=Fn(n,t,v,u,y),m=0;m<y;m++)(l=n.__k[m])!=null&&(h=~l.__i&&v[l.__i]||ke,l.__i=m,b=Ue(e,l,h,r,o,a,d,u,p,c),f=l.__e,(h.ref!=l.ref||8&h.__u)&&(h.ref&&We(h.ref,null,l,h),l.ref&&c.push(l.ref,l.__c||f,l)),$=$||f,4&l.__u?(u=_t(l,u,e,!h.__v),h.__e&&(h.__e=null)):typeof l.type=="function"&&b!==void 0?u=b:f&&(u=f.nextSibling),l.__u&=-21);return n.__e=$,u}function Fn(e,t,n,s,r){var o,a,d,u,p,c,m,h,l,f=n.length,$=f,b=0,v=0,y=e.__k=Array(r);for(o=0;o<r;o++)(a=t[o])!=null&&typeof a!="boolean"&&typeof a!="function"?(typeof a!="object"||a.constructor===String?a=y[o]=ue(null,a):He(a)?a=y[o]=ue(Te,{children:a}):a.constructor===me&&a.__b?a=y[o]=ue(a.type,a.props,a.key,a.ref,a.__v):y[o]=a,u=o+b,a.__=e,a.__b=e.__b+1,d=null,~(p=a.__i=Hn(a,n,u,$))&&($--,(d=n[p])&&(d.__u|=2)),d&&d.__v?(a.__u|=16,p==u-1?b--:p==u+1?b++:p!=u&&(p>u?b--:b++,v=1)):(~p||(r>f?b--:r<f&&b++),typeof a.type!="function"&&(a.__u|=4))):y[o]=null;if(v){for(c=[],m=[],o=0;o<r;o++)if((a=y[o])&&16&a.__u){for(b=0,h=c.length;b<h;)c[l=b+h>>1]<a.__i?b=l+1:h=l;c[b]=a.__i,m[o]=b+1}for(b=c.length;o--;)m[o]&&(m[o]==b?b--:y[o].__u|=4)}if($)for(o=0;o<f;o++)!(d=n[o])||2&d.__u||(d.__e==s&&(s=X(d)),Ve(d,d));return s}function _t(e,t,n,s){var r,o,a,d;if(typeof e.type=="function"){if(e.props.__P)return t;if(r=e.__k)for(o=0;o<r.length;o++)r[o]&&(r[o].__=e,t=_t(r[o],t,n,!1));return t}for(t&&!t.parentNode&&(t=X(e))&&!t.parentNode&&(t=null),a=e.__e,d=t;d&&d.nodeType==8;)d=d.nextSibling;for(a!=d&&(!s&&n.moveBefore&&a.parentNode?n.moveBefore(a,t):n.insertBefore(a,t||null)),t=a;(t=t&&t.nextSibling)&&t.nodeType==8&&!t.data.startsWith("$s"););return t}function Hn(e,t,n,s){var r,o=e.key,a=e.type,d=t[n],u=d&&!(2&d.__u);if(d===null&&o==null||u&&o==d.key&&a==d.type)return n;if(s>(u?1:0)){for(r=n-1;r>=0;r--)if((d=t[r])&&!(2&d.__u)&&o==d.key&&a==d.type)return r;for(r=n+1;r<t.length;r++)if((d=t[r])&&!(2&d.__u)&&o==d.key&&a==d.type)return r}return-1}function pt(e,t,n){n==null&&(n=""),t[0]=="-"?e.setProperty(t,n):e[t]=n}function ye(e,t,n,s,r){var o,a;if(t=="style")if(typeof n=="string")e.style.cssText=n;else{if(typeof s=="string"&&(e.style.cssText=s=""),s)for(t in s)n&&t in n||pt(e.style,t);if(n)for(t in n)s&&n[t]==s[t]||pt(e.style,t,n[t])}else if(t[0]=="o"&&t[1]=="n")typeof n!="function"&&(n=null),typeof s!="function"&&(s=null),(e.__e||(e.__e={}))[t]=n,n&&s||(a=Ie[t]||(Ie[t]=Jn(t)),(e.__a||(e.__a={}))[t]=Fe,o=t!=(t=t.replace(ht,"$1")),(t=t.slice(2))[0]<"a"&&(t=t.toLowerCase()),n?e.addEventListener(t,a,o):e.removeEventListener(t,a,o));else{if(r=="http://www.w3.org/2000/svg")t=t.replace(/xlink(H|:h)/,"h").replace(/sName$/,"s");else if(t!="width"&&t!="height"&&t!="href"&&t!="list"&&t!="form"&&t!="tabIndex"&&t!="download"&&t!="rowSpan"&&t!="colSpan"&&t!="role"&&t!="popover"&&t in e)try{return void(e[t]=n??"")}catch{}if(typeof n=="function")return;n==null||n===!1&&t[4]!="-"?e.removeAttribute(t):e.setAttribute(t,t=="popover"&&n==1?"":n)}}function Jn(e){return function(t){var n=this.__e;if(n){if(n=n[e],t[ve]==null)t[ve]=Fe++;else if(t[ve]<this.__a[e])return;return n(P.event?P.event(t):t)}}}function Ue(e,t,n,s,r,o,a,d,u,p){var c,m,h,l,f,$,b,v,y,x,C,G,Q,oe,W,se,B,U,I=t.type;if(t.constructor!==me)return null;128&n.__u&&(u=32&n.__u,c=n.__c.__z)&&(t.__u|=u,m=o=[],c.nodeType==8?d=we(c,o):o.push(c),d=o[0]||d),(c=P.__b)&&c(t);e:if(typeof I=="function"){h=a.length;try{if(v=t.props,y=(c=I.prototype)&&c.render,x=(c=I.contextType)&&s[c.__c],C=c?x?x.props.value:c.__:s,(l=n.__c)?(t.__c=l,2&l.__g&&(l.__g|=1)):(y?t.__c=l=new I(v,C):(t.__c=l=new pe(v,C),l.constructor=I,l.render=Un),x&&x.sub(l),l.state||(l.state={}),l.__n=s,l.__g|=8,l.__h=[],l.__k=[]),y&&(l.__s||(l.__s=l.state),I.getDerivedStateFromProps&&(l.__s==l.state&&(l.__s=te({},l.__s)),te(l.__s,I.getDerivedStateFromProps(v,l.__s)))),f=l.props,$=l.state,l.__v=t,n.__c){if(v!==f&&y&&!I.getDerivedStateFromProps&&l.componentWillReceiveProps&&l.componentWillReceiveProps(v,C),t.__v==n.__v&&!(8&l.__g)||!(4&l.__g)&&l.shouldComponentUpdate&&l.shouldComponentUpdate(v,l.__s,C)===!1){t.__v!=n.__v&&(l.props=v,l.state=l.__s,l.__g&=-9),t.__e=n.__e,t.__k=n.__k,t.__k.some(function(O){O&&(O.__=t)}),xe.push.apply(l.__h,l.__k),l.__k=[],l.__h.length&&a.push(l),d=X(n);break e}l.componentWillUpdate&&l.componentWillUpdate(v,l.__s,C),y&&l.componentDidUpdate&&l.__h.push(function(){l.componentDidUpdate(f,$,b)})}else y&&!I.getDerivedStateFromProps&&l.componentWillMount&&l.componentWillMount(),y&&l.componentDidMount&&l.__h.push(l.componentDidMount);l.context=C,l.props=v,l.__P=e,l.__g&=-5,G=P.__r,Q=y?25:0;do l.__g&=-9,G&&G(t),c=l.render(l.props,l.state=l.__s,l.context);while(8&l.__g&&++Q<25);y&&(xe.push.apply(l.__h,l.__k),l.__k=[]),l.state=l.__s,l.getChildContext&&(s=te({},s,l.getChildContext())),y&&n.__c&&l.getSnapshotBeforeUpdate&&(b=l.getSnapshotBeforeUpdate(f,$)),oe=c&&c.type===Te&&c.key==null?c.props.children:c,v.__P&&(c=d,r=(e=v.__P).namespaceURI,u=o=null,n.props&&n.props.__P!=e&&(n.__k.some(function(O){O&&Ve(O,O)}),n.__k=null),d=n.__k?X(n,0):null),d=bt(e,He(oe)?oe:[oe],t,n,s,r,o,a,d,u,p),v.__P&&(t.__e=null,d=c),t.__u&=-161,m&&m.some(ee),l.__h.length&&a.push(l),1&l.__g&&(l.__g&=-4)}catch(O){if(a.length=h,t.__v=null,u||o)if(O&&O.then){if(t.__u|=128|u,o){for(~(B=o.indexOf(d||void 0))||(B=o.length);(U=o[B-1])&&U.nodeType==8;)B--;for(;B<o.length;B++)if(U=o[B])if(o[B]=null,W){if(U==se)break}else{if(U.nodeType!=8)break;U.data.startsWith("$s")&&(se=we(W=U))}}if(!W){for(;d&&d.nodeType==8&&d.nextSibling;)d=d.nextSibling;W=d}(c=we(W=t.__c.__z||(t.__c.__z=W)))?(t.__e=W,d=c):t.__e=d,d=d&&d.nextSibling}else o&&o.some(ee);else t.__e=n.__e;t.__k||(t.__k=n.__k||[]),O&&O.then||yt(t),P.__e(O,t,n)}}else d=t.__e=Bn(n.__e,t,n,s,r,o,a,u,p,e);return(c=P.diffed)&&c(t),d}function we(e,t){if(e&&e.nodeType==8&&e.data.startsWith("$s"))for(var n=1;e=e.nextSibling;){if(e.nodeType==8){if(e.data.startsWith("$s"))n++;else if(e.data.startsWith("/$s")&&!--n)return e}t&&t.push(e)}}function yt(e){e&&(e.__c&&(e.__c.__g|=4),e.__k&&e.__k.some(yt))}function vt(e,t,n){for(var s=0;s<n.length;)We(n[s++],n[s++],n[s++]);P.__c&&P.__c(t,e),e.some(function(r){try{e=r.__h,r.__h=[],e.some(function(o){o.call(r)})}catch(o){P.__e(o,r.__v)}})}function Bn(e,t,n,s,r,o,a,d,u,p){var c,m,h,l,f,$,b,v,y=n.props||ke,x=t.props,C=t.type;if(C=="svg"?r="http://www.w3.org/2000/svg":C=="math"?r="http://www.w3.org/1998/Math/MathML":r||(r="http://www.w3.org/1999/xhtml"),o){for(c=0;c<o.length;c++)if((f=o[c])&&(C?f.localName==C:f.nodeType==3)){e=f,o[c]=null;break}}if(!e){if(v=p.ownerDocument||document,!C)return v.createTextNode(x);e=v.createElementNS(r,C,x.is?x:p),d&&(P.__m&&P.__m(t,o),d=!1),o=null}if(C){if(p=C=="template"&&e.content||e,o=C=="textarea"&&x.defaultValue!=null?null:o&&Je.call(p.childNodes),!d&&o)for(y={},c=0;c<e.attributes.length;c++)y[(f=e.attributes[c]).name]=f.value;for(c in y)f=y[c],c=="dangerouslySetInnerHTML"?h=f:c=="children"||c in x||c=="value"&&"defaultValue"in x||c=="checked"&&"defaultChecked"in x||ye(e,c,null,f,r);for(c in x)f=x[c],c=="children"?l=f:c=="dangerouslySetInnerHTML"?m=f:c=="value"?$=f:c=="checked"?b=f:d&&typeof f!="function"||y[c]===f||ye(e,c,f,y[c],r);m?(d||h&&(m.__html==h.__html||m.__html==e.innerHTML)||(e.innerHTML=m.__html),t.__k=[]):(h&&(e.textContent=""),(C=="foreignObject"||r=="http://www.w3.org/1998/Math/MathML"&&qn.test(C))&&(r="http://www.w3.org/1999/xhtml"),bt(p,He(l)?l:[l],t,n,s,r,o,a,o?o[0]:n.__k&&X(n,0),d,u),o&&o.some(ee)),d&&C!="textarea"||(c="value",C=="progress"&&$==null?e.removeAttribute(c):$==null||$===e[c]&&(C!="progress"||$)||ye(e,c,$,y[c],r),c="checked",b!=null&&b!=e[c]&&ye(e,c,b,y[c],r))}else y===x||d&&e.data==x||(e.data=x);return e}function We(e,t,n,s){try{typeof e=="function"?t?t.__x=e(t)||1:s&&(s=s.__c||s.__e)&&(t=s.__x)&&(s.__x=null,typeof t=="function"?t():e(null)):e.current=t}catch(r){P.__e(r,n)}}function Ve(e,t,n){var s,r,o,a;if(P.unmount&&P.unmount(e),!(s=e.ref)||s.current&&s.current!=e.__e||We(s,null,t,e),s=e.__c){if(s.componentWillUnmount)try{s.componentWillUnmount()}catch(d){P.__e(d,t)}s.__P=s.__n=null}if(s=e.__k)for(a=0;a<s.length;a++)s[a]&&Ve(s[a],t,typeof e.type!="function"||n&&!e.props.__P);!n&&(s=e.__c)&&(s=s.__z)&&(r=we(s,o=[]))&&(s==e.__e&&o.some(ee),ee(r),ee(s)),n||ee(e.__e),e.__e=e.__c=e.__=null}function Un(e,t,n){return this.constructor(e,n)}function ze(e,t){var n,s,r,o;P.__&&P.__(e,t),t.nodeType==9&&(t=t.documentElement),s=(n=e&&32&e.__u)?null:t.__k,t.__k=ue(Te,{children:[e]}),r=[],o=[],Ue(t,t.__k,s||ke,ke,t.namespaceURI,s?null:t.firstChild?Je.call(t.childNodes):null,r,s?s.__e:t.firstChild,n,o),vt(r,t.__k,o),t.__k.props.children=null}P={__e:function(e,t,n,s){for(var r,o,a;t=t.__;)if((r=t.__c)&&!(1&r.__g)){r.__g|=4;try{if((a=(o=r.constructor)&&o.getDerivedStateFromError)&&r.setState(o.getDerivedStateFromError(e)),r.componentDidCatch&&(r.componentDidCatch(e,s||{}),a=1),a&&8&r.__g)return void(r.__g|=2)}catch(d){e=d}}throw Se=0,e}},mt=0,On=function(e){return e!=null&&e.constructor===me},pe.prototype.setState=function(e,t){var n=this.__s;n&&n!=this.state||(n=this.__s=te({},this.state)),typeof e=="function"&&(e=e(te({},n),this.props)),e&&(te(n,e),this.__v&&(t&&this.__k.push(t),ut(this)))},pe.prototype.forceUpdate=function(e){this.__v&&(this.__g|=4,e&&this.__h.push(e),ut(this))},pe.prototype.render=Te,Z=[],Se=0,ft=function(e,t){return e.__v.__b-t.__v.__b},ve=Symbol(),ht=/(PointerCapture)$|Capture$/i,Fe=0,Ie={},jn=0;var St=function(e,t,n,s){var r;t[0]=0;for(var o=1;o<t.length;o++){var a=t[o++],d=t[o]?(t[0]|=a?1:2,n[t[o++]]):t[++o];a===3?s[0]=d:a===4?s[1]=Object.assign(s[1]||{},d):a===5?(s[1]=s[1]||{})[t[++o]]=d:a===6?s[1][t[++o]]+=d+"":a?(r=e.apply(d,St(e,d,n,["",null])),s.push(r),d[0]?t[0]|=2:(t[o-2]=0,t[o]=r)):s.push(d)}return s},wt=new Map;function kt(e){var t=wt.get(this);return t||(t=new Map,wt.set(this,t)),(t=St(this,t.get(e)||(t.set(e,t=(function(n){for(var s,r,o=1,a="",d="",u=[0],p=function(h){o===1&&(h||(a=a.replace(/^\s*\n\s*|\s*\n\s*$/g,"")))?u.push(0,h,a):o===3&&(h||a)?(u.push(3,h,a),o=2):o===2&&a==="..."&&h?u.push(4,h,0):o===2&&a&&!h?u.push(5,0,!0,a):o>=5&&((a||!h&&o===5)&&(u.push(o,0,a,r),o=6),h&&(u.push(o,h,0,r),o=6)),a=""},c=0;c<n.length;c++){c&&(o===1&&p(),p(c));for(var m=0;m<n[c].length;m++)s=n[c][m],o===1?s==="<"?(p(),u=[u],o=3):a+=s:o===4?a==="--"&&s===">"?(o=1,a=""):a=s+a[0]:d?s===d?d="":a+=s:s==='"'||s==="'"?d=s:s===">"?(p(),o=1):o&&(s==="="?(o=5,r=a,a=""):s==="/"&&(o<5||n[c][m+1]===">")?(p(),o===3&&(u=u[0]),o=u,(u=u[0]).push(2,0,o),o=0):s===" "||s==="	"||s===`
`||s==="\r"?(p(),o=2):a+=s),o===3&&a==="!--"&&(o=4,u=u[0])}return p(),u})(e)),t),arguments,[])).length>1?t:t[0]}var i=kt.bind(Be);var he,D,Ge,xt,Ke=Object.is,Ce=0,Nt=[],Qe=[],A=P,Tt=A.__b,Ct=A.__r,Pt=A.diffed,Et=A.__c,Rt=A.unmount,At=A.__;function Xe(e,t){A.__h&&A.__h(D,e,Ce||t),Ce=0;var n=D.__H||(D.__H={__:[],__h:[]});return e>=n.__.length&&n.__.push({}),n.__[e]}function g(e){return Ce=1,Wn(Ot,e)}function Wn(e,t,n){var s=Xe(he++,2);if(s.t=e,!s.__c&&(s.__=[n?n(t):Ot(void 0,t),function(o){var a=(s.__N||s.__)[0],d=s.t(a,o);Ke(a,d)||(s.__N=[d,s.__[1]],s.__c.setState({}))}],s.__c=D,!D.__f)){D.__f=!0;var r=D.shouldComponentUpdate;D.shouldComponentUpdate=function(o,a,d){var u=this.__H;if(!u)return!0;var p=!1,c=this.props!=o;if(u.__.some(function(h){h.__N&&(p=!0,Ke(h.__[0],h.__N[0])||(c=!0))}),r){var m=r.call(this,o,a,d);return p?m||c:m}return!p||c}}return s.__}function S(e,t){var n=Xe(he++,3);!A.__s&&Mt(n.__H,t)&&(n.__P=!0,n.__=e,n.u=t,D.__H.__h.push(n))}function Y(e){return Ce=5,Vn(function(){return{current:e}},[])}function Vn(e,t){var n=Xe(he++,7);return Mt(n.__H,t)&&(n.__=e(),n.__H=t),n.__}function zn(){var e;do{for(;e=Qe.shift();)try{fe(e)}catch(n){A.__e(n,{__:(e=e.__P)&&e.__v})}for(;e=Nt.shift();){var t=e.__H;if(e.__P&&t)try{t.__h.some(fe),t.__h.some(Ze),t.__h=[]}catch(n){t.__h=[],A.__e(n,e.__v)}}}while(Qe.length)}A.__b=function(e){D=null,Tt&&Tt(e)},A.__=function(e,t){e&&t.__k&&t.__k.__m&&(e.__m=t.__k.__m),At&&At(e,t)},A.__r=function(e){Ct&&Ct(e),he=0;var t=(D=e.__c).__H;t&&(Ge==D?D.__h=[]:(t.__h.some(fe),t.__h.some(Ze),he=0),t.__h=[],t.__.some(function(n){n.__N&&(n.__=n.__N),n.u=n.__N=void 0})),Ge=D},A.diffed=function(e){Pt&&Pt(e);var t=e.__c;t&&t.__H&&(t.__H.__h.length&&Dt(Nt.push(t)),t.__H.__.some(function(n){n.u&&(n.__H=n.u)})),Ge=D=null},A.__c=function(e,t){t.some(function(n){try{n.__h.some(fe),n.__h=n.__h.filter(function(s){return!s.__||Ze(s)})}catch(s){n.__h=[function(){throw s}]}}),Et&&Et(e,t)},A.unmount=function(e){Rt&&Rt(e);var t,n,s=e.__c;s&&s.__H&&(s.__H.__.some(function(r){try{if(r.__P&&r.__c){if(n===void 0){for(n=e.__;n&&(!n.__c||!n.__c.__P);)n=n.__;n=n&&n.__c}r.__P=n,Dt(Qe.push(r))}else fe(r)}catch(o){t=o}}),s.__H=void 0,t&&A.__e(t,s.__v))};var Lt=typeof requestAnimationFrame=="function";function Gn(e){var t,n=function(){clearTimeout(s),Lt&&cancelAnimationFrame(t),setTimeout(e)},s=setTimeout(n,35);Lt&&(t=requestAnimationFrame(n))}function Dt(e){e!=1&&xt==A.requestAnimationFrame||((xt=A.requestAnimationFrame)||Gn)(zn)}function fe(e){var t=D,n=e.__c;typeof n=="function"&&(e.__c=void 0,n()),D=t}function Ze(e){var t=D;e.__c=e.__(),D=t}function Mt(e,t){return!e||e.length!=t.length||t.some(function(n,s){return!Ke(n,e[s])})}function Ot(e,t){return typeof t=="function"?t(e):t}var E=class extends Error{constructor(n,s,r){super(s);this.status=n;this.body=r}status;body},Ye,jt=()=>{};function Pe(e){Ye=e}function qt(e){jt=e}async function w(e,t={}){let n=t.method??"GET",s={accept:"application/json",...t.headers};t.body!==void 0&&(s["content-type"]="application/json"),n!=="GET"&&Ye&&(s["x-umbra-csrf"]=Ye);let r;try{r=await fetch(e,{method:n,headers:s,credentials:"same-origin",body:t.body===void 0?void 0:JSON.stringify(t.body)})}catch{throw new E(0,"The node is unreachable")}let o=await r.text(),a;try{a=o?JSON.parse(o):void 0}catch{a=void 0}if(!r.ok){r.status===401&&!t.quiet401&&jt();let d=a?.message??`${r.status} ${r.statusText}`;throw new E(r.status,d,a)}return a}var _=encodeURIComponent;var et=class{source;listeners=new Set;statusListeners=new Set;status="connecting";everLive=!1;wanted=!1;start(){if(this.wanted=!0,this.source)return;let t=new EventSource("/console/api/events");this.source=t,t.addEventListener("hello",()=>{this.everLive&&this.emit({type:"reconnected"}),this.everLive=!0,this.setStatus("live")}),t.addEventListener("shadow",n=>this.emit({type:"shadow",data:JSON.parse(n.data)})),t.addEventListener("presence",n=>this.emit({type:"presence",data:JSON.parse(n.data)})),t.onerror=()=>{this.setStatus("lost"),t.readyState===EventSource.CLOSED&&(this.source=void 0,w("/session").catch(()=>{}),setTimeout(()=>{this.wanted&&this.start()},2e3))}}stop(){this.wanted=!1,this.source?.close(),this.source=void 0,this.everLive=!1,this.setStatus("connecting")}subscribe(t){return this.listeners.add(t),()=>this.listeners.delete(t)}onStatus(t){return this.statusListeners.add(t),()=>this.statusListeners.delete(t)}emit(t){for(let n of this.listeners)n(t)}setStatus(t){if(t!==this.status){this.status=t;for(let n of this.statusListeners)n(t)}}},ne=new et;function ae(e,t=[]){S(()=>ne.subscribe(e),t)}function It(){let[e,t]=g(ne.status);return S(()=>ne.onStatus(t),[]),e}function J(e){return e.role==="operator"||e.role==="anonymous"}async function Ft(){let e=await w("/session",{quiet401:!0});return Pe(e.csrf),e}async function Ht(e){let t=await w("/session",{method:"POST",body:e,headers:{"x-umbra-console":"1"},quiet401:!0});return Pe(t.csrf),t}async function Jt(){await w("/session",{method:"DELETE"}).catch(()=>{}),Pe(void 0)}function Bt({reason:e,onSignedIn:t}){let[n,s]=g("password"),[r,o]=g(e),[a,d]=g(!1);return i`<main class="centered">
    <form class="card signin" onSubmit=${async p=>{p.preventDefault();let c=new FormData(p.target);d(!0),o(void 0);try{let m=await Ht(n==="token"?{token:String(c.get("token")??"")}:{username:String(c.get("username")??""),password:String(c.get("password")??"")});t(m)}catch(m){o(m instanceof E?m.message:String(m))}finally{d(!1)}}} aria-labelledby="signin-title">
      <h1 id="signin-title">Sign in to Umbra</h1>
      <div class="tabs" role="group" aria-label="Sign-in method">
        <button type="button" aria-pressed=${n==="password"} onClick=${()=>s("password")}>
          User name and password
        </button>
        <button type="button" aria-pressed=${n==="token"} onClick=${()=>s("token")}>Bearer token</button>
      </div>
      ${n==="password"?i`<label>User name <input name="username" autocomplete="username" required /></label>
              <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>`:i`<label>Token <input name="token" autocomplete="off" placeholder="umb_…" required /></label>`}
      ${r?i`<p class="error" role="alert">${r}</p>`:null}
      <button type="submit" class="primary" disabled=${a}>Sign in</button>
      <p class="hint">Operators and viewers sign in here; <code>umbra user add</code> creates them.</p>
    </form>
  </main>`}function N(e){return e===void 0?"\u2014":new Date(e*1e3).toLocaleString()}function z(e,t=Date.now()){if(e===void 0)return"\u2014";let n=Math.max(0,Math.round(t/1e3-e));return n<60?`${n} s ago`:n<3600?`${Math.floor(n/60)} min ago`:n<86400?`${Math.floor(n/3600)} h ago`:`${Math.floor(n/86400)} d ago`}function Ee(e){return e<1024?`${e} B`:e<1024*1024?`${(e/1024).toFixed(1)} KiB`:`${(e/1024/1024).toFixed(1)} MiB`}function le(e){return e<1e3?`${e} ms`:e<6e4?`${(e/1e3).toFixed(1)} s`:`${Math.floor(e/6e4)} min ${Math.round(e%6e4/1e3)} s`}function j(e){return e===void 0?"":JSON.stringify(e,null,2)}function L(e){return e instanceof E?e.status===0?e.message:`${e.message} (${e.status})`:String(e)}function M(e,t){let[n,s]=g(),[r,o]=g(),[a,d]=g(0);return S(()=>{if(e===void 0)return;let u=!1,p,c=()=>w(e).then(m=>{u||(s(m),o(void 0))}).catch(m=>!u&&o(L(m))).finally(()=>{!u&&t&&(p=setTimeout(c,t))});return c(),()=>{u=!0,clearTimeout(p)}},[e,t,a]),{data:n,error:r,reload:()=>d(u=>u+1)}}var Ut=e=>e==="critical"||e==="major"?"badge bad":e==="minor"||e==="warning"?"badge warn":"badge",Wt=e=>`/alarms/${[e.system,e.rule,e.thing].map(encodeURIComponent).join("/")}`;function Vt(e){let t=e.replace(/^#\/?/,""),[n="",s=""]=t.split("?"),[r="",...o]=n.split("/").map(a=>decodeURIComponent(a));return{page:r,args:o,query:new URLSearchParams(s)}}function zt(){let[e,t]=g(()=>Vt(location.hash));return S(()=>{let n=()=>t(Vt(location.hash));return addEventListener("hashchange",n),()=>removeEventListener("hashchange",n)},[]),e}function q(e,t){return`#/things/${encodeURIComponent(e)}${t?`?shadow=${encodeURIComponent(t)}`:""}`}var Gt=3e3,Kn=["open","raised","acknowledged","cleared","all"],Kt=(e,t)=>{let n=new URLSearchParams;e&&n.set("system",e),t!=="open"&&n.set("state",t),location.hash=`#/alarms${n.size>0?`?${n}`:""}`};function Qt({route:e,session:t}){let n=e.query.get("system")??"",s=e.query.get("state")??"open",r=M(`/alarms?state=${_(s)}${n?`&system=${_(n)}`:""}`,Gt),o=M("/systems"),[a,d]=g(),[u,p]=g(),c=J(t),m=(l,f,$)=>{p(l.id),w(`${Wt(l)}/${f}`,{method:"POST",body:$}).then(()=>{d(void 0),r.reload()}).catch(b=>d(L(b))).finally(()=>p(void 0))},h=a??r.error;return i`
    <h1>Alarms</h1>
    <div class="toolbar">
      <label>System
        <select aria-label="System" value=${n} onChange=${l=>Kt(l.target.value,s)}>
          <option value="">every system</option>
          ${(o.data?.results??[]).map(l=>i`<option value=${l.name}>${l.name}</option>`)}
          ${n&&!o.data?.results.some(l=>l.name===n)?i`<option value=${n}>${n}</option>`:null}
        </select>
      </label>
      <label>State
        <select aria-label="State" value=${s} onChange=${l=>Kt(n,l.target.value)}>
          ${Kn.map(l=>i`<option value=${l}>${l}</option>`)}
        </select>
      </label>
      ${n?i`<a href=${`#/review/${_(n)}`}>Review of ${n}</a>`:null}
      <span class="meta">Refreshed every ${Gt/1e3} s.</span>
    </div>
    ${h?i`<p class="error" role="alert">${h}</p>`:null}
    ${r.data?r.data.results.length===0?i`<p class="empty" data-testid="no-alarms">No ${s==="all"?"":`${s} `}alarms${n?` in ${n}`:""}.</p>`:i`<${tt} alarms=${r.data.results} editable=${c} busy=${u} act=${m} />`:r.error?null:i`<p>Loading alarms…</p>`}
  `}function tt(e){let{alarms:t,editable:n,busy:s,act:r}=e,o=Date.now();return i`<div class="scroll" tabindex="0"><table data-testid="alarms-table">
    <caption class="sr-only">Alarms, newest raise first</caption>
    <thead><tr>
      <th scope="col">Alarm</th><th scope="col">Severity</th><th scope="col">State</th><th scope="col">Thing</th>
      <th scope="col">Summary</th><th scope="col">Raised</th><th scope="col">Fired</th><th scope="col">Acknowledged</th>
      ${n&&r?i`<th scope="col"><span class="sr-only">Actions</span></th>`:null}
    </tr></thead>
    <tbody>${t.map(a=>{let d=a.shelvedUntil!==void 0&&a.shelvedUntil>o;return i`<tr key=${a.id} data-alarm=${a.id}>
        <th scope="row">${a.system}/${a.rule}</th>
        <td><span class=${Ut(a.severity)}>${a.severity}</span></td>
        <td data-col="state" class="wrap">${a.state}${d?i`<br /><span class="badge off">shelved until ${N(a.shelvedUntil/1e3)}</span>`:null}</td>
        <td><a href=${q(a.thing)}>${a.thing}</a></td>
        <td class="wrap summary">${a.summary}${a.value!==void 0?` (${JSON.stringify(a.value)})`:""}</td>
        <td title=${N(a.raisedAt/1e3)}>${z(a.raisedAt/1e3,o)}</td>
        <td>${a.fireCount}×</td>
        <td>${a.ackedBy?`${a.ackedBy}, ${z((a.ackedAt??0)/1e3,o)}`:"\u2014"}</td>
        ${n&&r?i`<td class="actions">${a.state==="cleared"?null:i`
                ${a.state==="raised"?i`<button disabled=${s===a.id} onClick=${()=>r(a,"ack")}>Acknowledge</button>`:null}
                <button disabled=${s===a.id} onClick=${()=>r(a,"shelve",{for:"2h"})}>Shelve 2 h</button>
                <button class="danger" disabled=${s===a.id} onClick=${()=>r(a,"clear")}>Clear</button>`}</td>`:null}
      </tr>`})}</tbody>
  </table></div>`}function Zt(e){let{data:t,error:n,reload:s}=M("/fleet/conflicts"),r=Y(void 0);return S(()=>()=>clearTimeout(r.current),[]),ae(o=>{let a=o.type==="reconnected"?void 0:o.data.thing,d=t?.results.some(p=>p.thing===a)??!1;!(o.type==="reconnected"||o.type==="shadow"&&((o.data.conflictLeaves??0)>0||d))||r.current||(r.current=setTimeout(()=>{r.current=void 0,s()},300))},[t]),i`
    <h1>Conflicts</h1>
    <p class="meta">Leaves that sites wrote concurrently: the shadow holds the winner, the losing values are listed here until someone writes the leaf again.</p>
    ${n?i`<p class="error" role="alert">${n}</p>`:null}
    ${t?t.results.length===0?i`<p class="empty" data-testid="no-conflicts">No open conflicts.</p>`:i`<div class="scroll" tabindex="0"><table data-testid="conflicts-table">
            <caption class="sr-only">Shadows with open conflicts</caption>
            <thead><tr><th scope="col">Thing</th><th scope="col">Shadow</th><th scope="col">Version</th><th scope="col">Conflicting leaves</th></tr></thead>
            <tbody>${t.results.map(o=>i`<tr key=${`${o.thing}/${o.shadow}`} data-thing=${o.thing}>
                <th scope="row"><a href=${q(o.thing,o.shadow||void 0)}>${o.thing}</a></th>
                <td>${o.shadow||"classic"}</td>
                <td>${o.version}</td>
                <td><pre tabindex="0">${j(o.conflicts)}</pre></td>
              </tr>`)}</tbody>
          </table></div>`:n?null:i`<p>Loading conflicts…</p>`}
  `}function Xt(e,t){let n=Y(t);n.current=t,S(()=>{if(e===void 0)return;let s=new EventSource(`/things/stream?q=${encodeURIComponent(e)}`);return s.addEventListener("match",r=>{let{thing:o,record:a}=JSON.parse(r.data);n.current.match(o,a)}),s.addEventListener("unmatch",r=>n.current.unmatch(JSON.parse(r.data).thing)),()=>s.close()},[e])}function ot(e){if(typeof e=="number")return e;if(e===null||typeof e!="object")return;let t;for(let n of Object.values(e)){let s=ot(n);s!==void 0&&(t===void 0||s>t)&&(t=s)}return t}function nt(e){if(e===null||typeof e!="object")return e===void 0?0:1;let t=0;for(let n of Object.values(e))t+=nt(n);return t}function st(e){let t=e.shadows[""],n=e.connectivity;return{thing:e.thingName,shadows:Object.keys(e.shadows).filter(s=>s!=="").sort(),classic:t!==void 0,version:t?.version,deltaLeaves:nt(t?.state.delta),conflictLeaves:nt(t?.conflicts),connection:n?{connected:n.connected,since:n.since??n.timestamp??0,site:n.site}:void 0,attributes:e.attributes??{}}}function Yt(e){return e===void 0?"\u2014":e!==null&&typeof e=="object"?Object.entries(e).map(([t,n])=>`${t}=${Yt(n)}`).join(" "):String(e)}var Qn=[["Thing","thingName"],["Presence","connectivity.connected"],["Site","connectivity.site"],["Since","connectivity.timestamp"],["Version","shadow.version"],["Delta","shadow.hasDelta"],["Conflicts","conflicts"]];function en(e){let{rows:t,attributeKeys:n,sort:s,onSort:r}=e,o=(a,d)=>{let u=s.field===d;return i`<th scope="col" aria-sort=${u?s.descending?"descending":"ascending":void 0}>
      <button class="sort" onClick=${()=>r(d)}>${a}${u?s.descending?" \u25BC":" \u25B2":""}</button>
    </th>`};return i`<div class="scroll" tabindex="0"><table class="fleet" data-testid="fleet-table">
    <caption class="sr-only">Things, with presence, delta, conflicts and attributes</caption>
    <thead><tr>
      ${Qn.map(([a,d])=>o(a,d))}
      <th scope="col">Last report</th>
      ${n.map(a=>o(a,`attributes.${a}`))}
      <th scope="col">Named shadows</th>
    </tr></thead>
    <tbody>
      ${t.map(a=>i`<tr key=${a.thing} data-thing=${a.thing}>
          <th scope="row"><a href=${q(a.thing)}>${a.thing}</a>${a.gone?i` <span class="badge off" data-testid="gone">no longer matches</span>`:null}</th>
          <td data-col="presence">${Re(a.connection)}</td>
          <td>${a.connection?.site??"\u2014"}</td>
          <td>${z(a.connection?.since)}</td>
          <td data-col="version">${a.version??"\u2014"}</td>
          <td data-col="delta">${a.deltaLeaves>0?i`<span class="badge warn">${a.deltaLeaves} pending</span>`:a.classic?i`<span class="badge ok">in sync</span>`:"\u2014"}</td>
          <td data-col="conflicts">${a.conflictLeaves>0?i`<span class="badge bad">${a.conflictLeaves}</span>`:"0"}</td>
          <td data-col="last-report">${z(a.lastReport)}</td>
          ${n.map(d=>i`<td data-col=${`attr-${d}`}>${Yt(a.attributes[d])}</td>`)}
          <td>${a.shadows.length>0?a.shadows.join(", "):"\u2014"}</td>
        </tr>`)}
    </tbody>
  </table></div>`}function Re(e){return e?e.connected?i`<span class="badge ok" data-connected="true">connected</span>`:i`<span class="badge off" data-connected="false">offline</span>`:i`<span class="badge">never seen</span>`}var tn=50,Zn=/^[A-Za-z0-9_.$/+-]*$/;function nn(e,t){let n=[];if(e.trim()&&n.push(`(${e.trim()})`),t.trim()){if(!Zn.test(t.trim()))return{problem:"A name filter is letters, digits and _ . $ / + -"};n.push(`thingName:*${t.trim()}*`)}return n.join(" AND ")}function on({route:e}){let[t,n]=g(e.query.get("q")??""),[s,r]=g(""),[o,a]=g({query:t,name:s}),[d,u]=g({field:"thingName",descending:!1}),[p,c]=g([""]),[m,h]=g(),[l,f]=g(),[$,b]=g(),[v,y]=g(),[x,C]=g(),[G,Q]=g(),[oe,W]=g(0),[se,B]=g(0),U=p[p.length-1]??"";S(()=>{let k=e.query.get("q");k!==null&&(n(k),a(T=>({...T,query:k})),c([""]))},[e.query.toString()]),S(()=>{if(s===o.name)return;let k=setTimeout(()=>{a(T=>T.name===s?T:{...T,name:s}),c([""])},200);return()=>clearTimeout(k)},[s]),S(()=>{let k=!1,T=nn(o.query,o.name);if(typeof T!="string"){Q({message:T.problem,query:o.name});return}let F=`${d.descending?"-":""}${d.field}`,V=w(`/things?q=${_(T)}&sort=${_(F)}&fields=*&limit=${tn}&cursor=${_(U)}`),re=w(`/things/count?q=${_(T)}`),_e=w(`/things?q=${_(T)}&sort=${_(F)}&fields=shadow.metadata.reported&limit=${tn}&cursor=${_(U)}`);return Promise.all([V,re,_e]).then(([H,ie,je])=>{if(k)return;let Mn=new Map(je.results.map(ce=>[ce.thingName,ot(ce["shadow.metadata.reported"])]));h(H.results.map(ce=>({...st(ce),lastReport:Mn.get(ce.thingName)}))),f(H.nextCursor),b(ie.count),y(H.partial?.reason),C(void 0),Q(void 0),B(0)}).catch(H=>{if(k)return;let ie=H instanceof E?H.body:void 0;if(ie?.error==="query_invalid"){let je=ie.position===void 0?void 0:ie.position-1;Q({message:ie.problem??L(H),position:je,query:o.query})}else C(L(H))}),()=>{k=!0}},[o,d,U,oe]);let I=Y(!0);S(()=>{m&&I.current&&(I.current=!1,performance.mark("umbra:fleet-rendered"))},[m]),ae(k=>{if(k.type==="reconnected")return W(T=>T+1);h(T=>{if(!T)return T;let F=T.findIndex(H=>H.thing===k.data.thing);if(F<0)return k.type==="shadow"&&k.data.shadow===""&&k.data.version===1&&B(H=>H+1),T;let V=T[F],re;if(k.type==="presence")re={...V,connection:k.data.connection};else{if(k.data.shadow!=="")return T;k.data.deleted?re={...V,classic:!1,version:void 0,deltaLeaves:0,conflictLeaves:0}:re={...V,classic:!0,version:k.data.version,deltaLeaves:k.data.deltaLeaves??0,conflictLeaves:k.data.conflictLeaves??0,lastReport:k.data.lastReport??V.lastReport}}let _e=T.slice();return _e[F]=re,_e})});let O=nn(o.query,o.name),Ln=(m??[]).map(k=>k.thing).join(`
`);Xt(typeof O=="string"?Xn(O,Ln):void 0,{match:(k,T)=>h(F=>F?.map(V=>V.thing===k?{...st(T),lastReport:V.lastReport}:V)),unmatch:k=>h(T=>T?.map(F=>F.thing===k?{...F,gone:!0}:F))});let Dn=[...new Set((m??[]).flatMap(k=>Object.keys(k.attributes)))].sort(),Nn=k=>{u(T=>({field:k,descending:T.field===k?!T.descending:!1})),c([""])};return i`
    <h1>Fleet</h1>
    <form class="toolbar query" onSubmit=${k=>{k.preventDefault(),a(T=>({...T,query:t})),c([""])}}>
      <label class="grow">Fleet query
        <input type="search" name="q" value=${t} placeholder="attributes.type:pdu AND shadow.reported.temp > 30"
          aria-describedby="query-help" onInput=${k=>n(k.target.value)} />
      </label>
      <button type="submit">Run query</button>
      <label class="filter">Filter by name
        <input type="search" value=${s} placeholder="e.g. pdu-" onInput=${k=>r(k.target.value)} />
      </label>
    </form>
    <p id="query-help" class="meta">The fleet query language (docs/fleet.md): <code>field:value</code>, <code>></code>, <code>[a TO b]</code>, AND, OR, NOT; click a column to sort.</p>
    ${G?i`<div class="error" role="alert" data-testid="query-error">${Yn(G)}</div>`:null}
    ${x?i`<p class="error" role="alert">${x}</p>`:null}
    ${v?i`<p class="meta" role="status">Partial answer: ${v}</p>`:null}
    <div class="toolbar">
      <span data-testid="fleet-total" aria-live="polite">${$===void 0?"":`${$} ${$===1?"thing":"things"}`}</span>
      <span class="pager">
        <button disabled=${p.length<2} onClick=${()=>c(p.slice(0,-1))}>← Previous</button>
        <span aria-live="polite">Page ${p.length}</span>
        <button disabled=${l===void 0} onClick=${()=>l!==void 0&&c([...p,l])}>Next →</button>
      </span>
    </div>
    ${se>0?i`<p class="meta" role="status" data-testid="fleet-created">
            ${se} new ${se===1?"thing":"things"} since this page was read.
            <button onClick=${()=>W(k=>k+1)}>Refresh</button>
          </p>`:null}
    ${m===void 0?i`<p>Loading things…</p>`:m.length===0?i`<p class="empty">${o.query||o.name?"No thing matches.":"No things yet: a device creates its shadow with its first update."}</p>`:i`<${en} rows=${m} attributeKeys=${Dn} sort=${d} onSort=${Nn} />`}
  `}function Xn(e,t){if(!t)return;let n=t.split(`
`).map(r=>`thingName:${JSON.stringify(r)}`).join(" OR "),s=e?`(${e}) AND (${n})`:n;return s.length<=4096?s:e}function Yn(e){return e.position===void 0||e.position<0||e.position>e.query.length?i`<p>${e.message}</p>`:i`<p>At character ${e.position+1}: ${e.message}</p>
    <pre class="caret" aria-hidden="true">${e.query}\n${" ".repeat(e.position)}^</pre>`}function sn({name:e,password:t,onDone:n}){let[s,r]=g();S(()=>{w("/console/api/node").then(p=>r(p.mqtt)).catch(()=>r({}))},[]);let o=location.hostname.includes(":")?`[${location.hostname}]`:location.hostname,a=s?.mqtt??s?.mqtts??1883,d=s?.mqtt===void 0&&s?.mqtts!==void 0?" --cafile node-ca.pem":"",u=`mosquitto_pub -h ${o} -p ${a}${d} -i ${e} -u ${e} -P '${t}' -t '$umbra/things/${e}/shadow/update' -m '{"state":{"reported":{"online":true}}}'`;return i`<section class="card once" aria-labelledby="once-title" data-testid="new-device">
    <h2 id="once-title">Device ${e} added</h2>
    <p class="warn-text" role="status">Copy the password now: it is shown only once and stored only as a hash.</p>
    <${rt} label="User name" value=${e} />
    <${rt} label="Password" value=${t} testid="new-password" />
    ${s?i`<${rt} label="Try it with mosquitto_pub" value=${u} testid="mosquitto-line" />`:null}
    <button onClick=${n}>Done, I stored it</button>
  </section>`}function rt({label:e,value:t,testid:n}){let[s,r]=g(!1);return i`<div class="copyable">
    <span class="label">${e}</span>
    <code data-testid=${n}>${t}</code>
    <button type="button" onClick=${async()=>{try{await navigator.clipboard.writeText(t),r(!0),setTimeout(()=>r(!1),1500)}catch{}}} aria-label=${`Copy ${e}`}>${s?"Copied":"Copy"}</button>
  </div>`}function rn({session:e}){let[t,n]=g(),[s,r]=g(),[o,a]=g(),[d,u]=g(),p=J(e),c=()=>w("/identities").then(l=>n(l.identities)).catch(l=>r(l instanceof E?l.message:String(l)));S(()=>{c()},[]);let m=async l=>{l.preventDefault();let f=l.target,$=String(new FormData(f).get("name")??"").trim();r(void 0);try{let b=await w("/identities",{method:"POST",body:{name:$}});a(b),f.reset(),c()}catch(b){r(b instanceof E?b.message:String(b))}},h=async l=>{u(void 0);try{await w(`/identities/${_(l)}`,{method:"DELETE"}),o?.name===l&&a(void 0),c()}catch(f){r(f instanceof E?f.message:String(f))}};return i`
    <h1>Identities</h1>
    ${p?i`<form class="card row" onSubmit=${m} aria-labelledby="add-title">
          <h2 id="add-title">Add a device</h2>
          <label>Thing name <input name="name" required pattern="[a-zA-Z0-9:_\\-]{1,128}" placeholder="pdu-12" /></label>
          <button type="submit" class="primary">Add device</button>
        </form>`:null}
    ${o?i`<${sn} name=${o.name} password=${o.password} onDone=${()=>a(void 0)} />`:null}
    ${s?i`<p class="error" role="alert">${s}</p>`:null}
    ${t?i`<div class="scroll" tabindex="0"><table data-testid="identities-table">
          <caption class="sr-only">Identities</caption>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Things</th><th scope="col">Created</th><th scope="col">Status</th>${p?i`<th scope="col"><span class="sr-only">Actions</span></th>`:null}</tr></thead>
          <tbody>${t.map(l=>i`<tr key=${l.name} data-identity=${l.name}>
              <th scope="row">${l.name}</th><td>${l.role}</td><td><code>${l.things}</code></td><td>${N(l.createdAt/1e3)}</td>
              <td>${l.revokedAt===null?i`<span class="badge ok">active</span>`:i`<span class="badge off">revoked ${N(l.revokedAt/1e3)}</span>`}</td>
              ${p?i`<td>${l.role==="device"&&l.revokedAt===null?d===l.name?i`<span class="confirm">Revoke ${l.name}?
                            <button class="danger" onClick=${()=>h(l.name)}>Yes, revoke</button>
                            <button onClick=${()=>u(void 0)}>Cancel</button></span>`:i`<button onClick=${()=>u(l.name)} aria-label=${`Revoke ${l.name}`}>Revoke</button>`:null}</td>`:null}
            </tr>`)}</tbody>
        </table></div>`:i`<p>Loading identities…</p>`}
  `}function an({session:e}){let{data:t,error:n,reload:s}=M("/claims",5e3),[r,o]=g(),[a,d]=g({things:"",reason:"",hours:"2"}),u=J(e),p=h=>h.then(()=>{o(void 0),s()}).catch(l=>o(L(l))),c=h=>{h.preventDefault(),p(w("/claims",{method:"POST",body:{things:a.things.split(/[\s,]+/).filter(Boolean),reason:a.reason,durationSeconds:Math.round(Number(a.hours)*3600)}}))},m=h=>l=>d({...a,[h]:l.target.value});return i`<section aria-labelledby="h-claims" data-testid="claims">
    <h2 id="h-claims">Maintenance claims</h2>
    ${n||r?i`<p class="error" role="alert">${r??n}</p>`:null}
    ${t?t.claims.length===0?i`<p class="empty">No active claims.</p>`:i`<div class="scroll" tabindex="0"><table data-testid="claims-table">
            <caption class="sr-only">Active maintenance claims</caption>
            <thead><tr><th scope="col">Claim</th><th scope="col">Owner</th><th scope="col">Things and systems</th><th scope="col">Reason</th><th scope="col">Until</th>${u?i`<th scope="col"><span class="sr-only">Actions</span></th>`:null}</tr></thead>
            <tbody>${t.claims.map(h=>i`<tr key=${h.id} data-claim=${h.id}>
                <th scope="row">${h.id}</th><td>${h.owner}</td>
                <td>${[...h.things,...h.systems.map(l=>`system ${l}`)].join(", ")}</td>
                <td>${h.reason}</td><td>${N(h.until)}</td>
                ${u?i`<td><button onClick=${()=>p(w(`/claims/${_(h.id)}`,{method:"DELETE"}))}>Release</button></td>`:null}
              </tr>`)}</tbody>
          </table></div>`:null}
    ${u?i`<form class="toolbar" onSubmit=${c}>
          <label>Things to claim <input name="claim-things" value=${a.things} onInput=${m("things")} placeholder="pdu-1, rack-a-*" /></label>
          <label>Reason <input name="claim-reason" value=${a.reason} onInput=${m("reason")} /></label>
          <label>Hours <input name="claim-hours" type="number" min="0.1" step="0.1" value=${a.hours} onInput=${m("hours")} /></label>
          <button type="submit">Add claim</button>
        </form>`:null}
  </section>`}var it=e=>e===void 0?"absent":JSON.stringify(e);function eo(e,t){let n;try{n=JSON.parse(e.body||"")}catch{return`The ${e.kind} is not valid JSON`}let s=e.target?.trim()??"";if(!s)return"Name a target";let o={target:e.targetKind==="things"?{things:s.split(/[\s,]+/).filter(Boolean)}:{[e.targetKind]:s},[e.kind==="command"?"command":"patch"]:n,confirm:t};return e.shadow?.trim()&&(o.shadow=e.shadow.trim()),e.description?.trim()&&(o.description=e.description.trim()),e.batchSize?.trim()&&(o.rollout={batchSize:Number(e.batchSize)}),o}function ln(){let[e,t]=g({targetKind:"q",kind:"patch",body:"{}",batchSize:"5"}),[n,s]=g(!1),[r,o]=g(),[a,d]=g(),[u,p]=g(!1),c=l=>f=>{t({...e,[l]:f.target.value}),o(void 0)},m=l=>{l.preventDefault();let f=eo(e,n);if(typeof f=="string")return d(f);p(!0),w("/jobs/dry-run",{method:"POST",body:f}).then($=>{o({doc:f,result:$}),d(void 0)}).catch($=>d(L($))).finally(()=>p(!1))},h=()=>{r&&(p(!0),w("/jobs",{method:"POST",body:r.doc}).then(l=>{location.hash=`#/jobs/${encodeURIComponent(l.id)}`}).catch(l=>d(L(l))).finally(()=>p(!1)))};return i`<section class="panel wide" aria-labelledby="h-dry-run" data-testid="dry-run">
    <h2 id="h-dry-run">Plan a job</h2>
    <form class="job-form" onSubmit=${m}>
      <label>Target
        <select aria-label="Target kind" value=${e.targetKind} onChange=${c("targetKind")}>
          <option value="q">fleet query</option><option value="system">system</option><option value="things">things (comma-separated)</option>
        </select>
      </label>
      <label class="grow">Target value <input name="target" value=${e.target??""} onInput=${c("target")} /></label>
      <label>Write
        <select aria-label="What to write" value=${e.kind} onChange=${c("kind")}><option value="patch">desired patch</option><option value="command">one-shot command</option></select>
      </label>
      <label class="grow">Desired JSON <textarea name="body" rows="3" spellcheck=${!1} value=${e.body} onInput=${c("body")}></textarea></label>
      <label>Named shadow <input name="shadow" value=${e.shadow??""} onInput=${c("shadow")} placeholder="classic" /></label>
      <label>Batch size <input name="batchSize" type="number" min="1" value=${e.batchSize} onInput=${c("batchSize")} /></label>
      <label class="grow">Description <input name="description" value=${e.description??""} onInput=${c("description")} /></label>
      <label class="check"><input type="checkbox" checked=${n} onChange=${l=>{s(l.target.checked),o(void 0)}} /> Confirm destructive values</label>
      <button type="submit" disabled=${u}>Dry run</button>
    </form>
    ${a?i`<p class="error" role="alert">${a}</p>`:null}
    ${r?i`<${to} result=${r.result} busy=${u} onStart=${h} />`:null}
  </section>`}function to({result:e,busy:t,onStart:n}){let s=Object.entries(e.refused);return i`<div data-testid="plan">
    <p role="status">
      ${e.things} things: <strong>${e.wouldChange}</strong> would change, ${e.wouldWait} already desired (waiting for the device), ${e.noop} nothing to do${s.length>0?`, refused: ${s.map(([r,o])=>`${o} ${r}`).join(", ")}`:""}.
    </p>
    ${e.confirmRequired?i`<p class="error">Destructive values (${e.destructive.join(", ")}): tick “Confirm destructive values” to run this job.</p>`:null}
    <div class="scroll" tabindex="0"><table data-testid="plan-table">
      <caption class="sr-only">What the job would do to each thing</caption>
      <thead><tr><th scope="col">Thing</th><th scope="col">Outcome</th><th scope="col">Leaves: desired now → written (reported now)</th></tr></thead>
      <tbody>${e.plans.map(r=>i`<tr key=${r.thing} data-thing=${r.thing}>
          <th scope="row">${r.thing}</th>
          <td data-col="outcome" class="wrap">${r.refused?i`<span class="badge bad">refused: ${r.refused.code}</span> ${r.refused.reason}`:r.changes.length>0?i`<span class="badge warn">would write</span>`:r.pending.length>0?"waiting for the device":i`<span class="badge ok">no change</span>`}</td>
          <td><ul class="ops">${[...r.changes,...r.pending].map(o=>i`<li><code>${o.path}</code>: ${it(o.desired)} → ${it(o.to)} (reported ${it(o.reported)})</li>`)}</ul></td>
        </tr>`)}</tbody>
    </table></div>
    <button class="primary" disabled=${t||e.confirmRequired||e.things===0} onClick=${n}>Start this job</button>
  </div>`}var at=["pending","skipped","writing","waiting","converged","failed","cancelled"];var lt=e=>e.state!=="running"&&e.state!=="paused";function Ae(e){return e.q!==void 0?`query ${e.q}`:e.system!==void 0?`system ${e.system}`:`things ${(e.things??[]).join(", ")}`}function ge(e){return e==="succeeded"||e==="converged"?"badge ok":e==="failed"||e==="aborted"?"badge bad":e==="running"||e==="waiting"||e==="writing"?"badge warn":"badge off"}function dn({id:e,session:t}){let[n,s]=g(),[r,o]=g([]),[a,d]=g(),[u,p]=g(!1),[c,m]=g(!1),h=`/jobs/${_(e)}`;S(()=>{let f,$=!1;return w(h).then(b=>{$||(s(b),o(b.things),!lt(b)&&(f=new EventSource(`${h}/stream`),f.addEventListener("open",()=>p(!0)),f.addEventListener("job",v=>s(JSON.parse(v.data))),f.addEventListener("thing",v=>{let y=JSON.parse(v.data);o(x=>{let C=x.findIndex(Q=>Q.thing===y.thing);if(C<0)return[...x,y];let G=x.slice();return G[C]=y,G})}),f.addEventListener("end",v=>{s(JSON.parse(v.data)),f?.close(),p(!1)}),f.onerror=()=>p(!1)))}).catch(b=>!$&&d(L(b))),()=>{$=!0,f?.close()}},[e]);let l=f=>{m(!0),w(`${h}/${f}`,{method:"POST"}).then($=>{s(b=>({...b,...$})),d(void 0)}).catch($=>d(L($))).finally(()=>m(!1))};return i`
    <p class="crumbs"><a href="#/jobs">Jobs</a> / ${e}</p>
    <h1>Job ${e}</h1>
    ${a?i`<p class="error" role="alert">${a}</p>`:null}
    ${n?i`
      <p class="meta" data-testid="job-state">
        <span class=${ge(n.state)}>${n.state}</span>
        ${u?i` <span class="badge ok">live</span>`:null}
        ${n.reason?` \u2014 ${n.reason}`:""}
      </p>
      <dl class="facts">
        <dt>Target</dt><dd>${Ae(n.target)}${n.shadow?` (shadow ${n.shadow})`:""}</dd>
        <dt>${n.command?"Command":"Patch"}</dt><dd><code>${j(n.command??n.patch)}</code></dd>
        <dt>Created</dt><dd>${N(n.createdAt)} by ${n.createdBy}</dd>
        <dt>Batch</dt><dd>${n.batch+1}</dd>
        ${n.description?i`<dt>Description</dt><dd>${n.description}</dd>`:null}
      </dl>
      <ul class="counts" aria-label="Progress" data-testid="job-counts">
        <li>total <strong>${n.counts.total}</strong></li>
        ${at.map(f=>i`<li data-count=${f}>${f} <strong>${n.counts[f]??0}</strong></li>`)}
      </ul>
      ${J(t)&&!lt(n)?i`<div class="toolbar">
            ${n.state==="running"?i`<button disabled=${c} onClick=${()=>l("pause")}>Pause</button>`:i`<button disabled=${c} onClick=${()=>l("resume")}>Resume</button>`}
            <button class="danger" disabled=${c} onClick=${()=>confirm(`Cancel job ${e}? Things not started yet will not be touched.`)&&l("cancel")}>Cancel job</button>
          </div>`:null}
      <div class="scroll" tabindex="0"><table data-testid="job-things">
        <caption class="sr-only">Things of this job</caption>
        <thead><tr><th scope="col">Thing</th><th scope="col">Status</th><th scope="col">Written</th><th scope="col">Reason</th><th scope="col">Started</th><th scope="col">Finished</th></tr></thead>
        <tbody>${r.map(f=>i`<tr key=${f.thing} data-thing=${f.thing}>
            <th scope="row"><a href=${q(f.thing)}>${f.thing}</a></th>
            <td data-col="status"><span class=${ge(f.status)}>${f.status}</span></td>
            <td>${f.written?"yes":"no"}</td>
            <td>${f.reason??"\u2014"}</td>
            <td>${f.startedAt?N(f.startedAt/1e3):"\u2014"}</td>
            <td>${f.finishedAt?N(f.finishedAt/1e3):"\u2014"}</td>
          </tr>`)}</tbody>
      </table></div>`:a?null:i`<p>Loading job…</p>`}
  `}var no=3e3,dt=e=>`#/jobs/${encodeURIComponent(e)}`;function cn({route:e,session:t}){let n=e.args[0];return n?i`<${dn} key=${n} id=${n} session=${t} />`:i`<${oo} session=${t} />`}function oo({session:e}){let{data:t,error:n}=M("/jobs",no),s=t?[...t.jobs].sort((r,o)=>o.createdAt-r.createdAt):void 0;return i`
    <h1>Jobs</h1>
    ${n?i`<p class="error" role="alert">${n}</p>`:null}
    ${s?s.length===0?i`<p class="empty">No jobs yet.</p>`:i`<div class="scroll" tabindex="0"><table data-testid="jobs-table">
            <caption class="sr-only">Jobs, newest first</caption>
            <thead><tr><th scope="col">Job</th><th scope="col">State</th><th scope="col">Target</th><th scope="col">Progress</th><th scope="col">By</th><th scope="col">Created</th><th scope="col">Description</th></tr></thead>
            <tbody>${s.map(r=>i`<tr key=${r.id} data-job=${r.id}>
                <th scope="row"><a href=${dt(r.id)}>${r.id}</a></th>
                <td><span class=${ge(r.state)}>${r.state}</span></td>
                <td>${Ae(r.target)}</td>
                <td>${r.counts.converged??0} converged, ${r.counts.failed??0} failed, ${r.counts.skipped??0} skipped of ${r.counts.total}</td>
                <td>${r.createdBy}</td>
                <td>${N(r.createdAt)}</td>
                <td>${r.description??"\u2014"}</td>
              </tr>`)}</tbody>
          </table></div>`:n?null:i`<p>Loading jobs…</p>`}
    ${J(e)?i`<${ln} />`:null}
    <${an} session=${e} />
  `}var so=["24h","7d","30d"];function un({route:e}){let t=e.args[0]??"",n=e.query.get("since")??"7d",{data:s,error:r}=M(`/systems/${_(t)}/review?since=${_(n)}`,1e4);return i`
    <p class="crumbs"><a href="#/systems">Systems</a> / <a href=${`#/systems/${_(t)}`}>${t}</a> / review</p>
    <h1>Review of ${t}</h1>
    <nav class="tabs" aria-label="Period">
      ${so.map(o=>i`<a href=${`#/review/${_(t)}?since=${o}`} aria-current=${o===n?"page":void 0}>last ${o}</a>`)}
    </nav>
    ${r?i`<p class="error" role="alert">${r}</p>`:null}
    ${s?i`
      <p class="meta" data-testid="review-summary">From ${N(s.since/1e3)} to ${N(s.until/1e3)}: <strong>${s.raised.raises}</strong> raises of ${s.raised.alarms} alarms.</p>
      <h2>Still open (${s.stillOpen.length})</h2>
      ${s.stillOpen.length===0?i`<p class="empty">None.</p>`:i`<${tt} alarms=${s.stillOpen} editable=${!1} />`}
      <h2>Never acknowledged (${s.neverAcknowledged.length})</h2>
      ${s.neverAcknowledged.length===0?i`<p class="empty">None.</p>`:i`<ul>${s.neverAcknowledged.map(o=>i`<li>${o.id}: ${o.summary}</li>`)}</ul>`}
      <h2>Most flapping</h2>
      ${s.mostFlapping.length===0?i`<p class="empty">None raised more than once.</p>`:i`<ul>${s.mostFlapping.map(o=>i`<li>${o.id}: raised ${o.raises} times</li>`)}</ul>`}
      <h2>Longest not converged</h2>
      ${s.longestNotConverged.length===0?i`<p class="empty">Every thing converged.</p>`:i`<ul>${s.longestNotConverged.map(o=>i`<li><a href=${q(o.thing)}>${o.thing}</a>: desired pending for ${le(o.pendingSeconds*1e3)}</li>`)}</ul>`}
      <h2>Jobs</h2>
      ${s.jobs===null?i`<p class="empty">Jobs are not enabled on this node.</p>`:s.jobs.length===0?i`<p class="empty">No jobs touched this system.</p>`:i`<ul>${s.jobs.map(o=>i`<li><a href=${dt(o.id)}>${o.id}</a> (${o.state}) by ${o.creator}: ${o.written} of ${o.things} things written</li>`)}</ul>`}`:r?null:i`<p>Loading review…</p>`}
  `}var pn=2e3;function mn(e){let[t,n]=g(),[s,r]=g();return S(()=>{let o=!1,a,d=()=>w("/peers").then(u=>{o||(n(u),r(void 0))}).catch(u=>!o&&r(u instanceof E?u.message:String(u))).finally(()=>{o||(a=setTimeout(d,pn))});return d(),()=>{o=!0,clearTimeout(a)}},[]),i`
    <h1>Sites</h1>
    ${t?i`<p class="meta">This node is site <strong>${t.site}</strong>. Refreshed every ${pn/1e3} s.</p>`:null}
    ${s?i`<p class="error" role="alert">${s}</p>`:null}
    ${t?t.peers.length===0?i`<p class="empty">No relay peers: this node neither dials a parent nor has children connected (docs/relay.md).</p>`:i`<div class="scroll" tabindex="0"><table data-testid="peers-table">
            <caption class="sr-only">Relay peers</caption>
            <thead><tr>
              <th scope="col">Peer</th><th scope="col">Side</th><th scope="col">Link</th><th scope="col">Last contact</th>
              <th scope="col">Lag</th><th scope="col">Pending changes</th><th scope="col">Pending bytes</th>
              <th scope="col">Sent</th><th scope="col">Received</th><th scope="col">Retried frames</th><th scope="col">Denied</th>
            </tr></thead>
            <tbody>${t.peers.map(o=>i`<tr key=${o.peer}>
                <th scope="row">${o.peer}${o.site&&o.site!==o.peer?` (${o.site})`:""}</th>
                <td>${o.side}</td>
                <td>${o.connected?i`<span class="badge ok">connected</span>`:i`<span class="badge off">down</span>`}</td>
                <td>${o.lastContact===null?"never":z(o.lastContact/1e3)}</td>
                <td>${le(o.lagMs)}</td>
                <td>${o.pendingChanges}</td>
                <td>${Ee(o.pendingBytes)}</td>
                <td>${Ee(o.bytesSent)} · ${o.changesSent} changes</td>
                <td>${Ee(o.bytesReceived)} · ${o.changesReceived} changes</td>
                <td>${o.framesRetried}</td>
                <td>${o.denied}</td>
              </tr>`)}</tbody>
          </table></div>`:i`<p>Loading peers…</p>`}
  `}var Le=5e3,ro=8,fn=e=>`#/systems/${_(e)}`,io=e=>`#/?q=${_(`systems:${/^[A-Za-z0-9_.$/+-]+$/.test(e)?e:JSON.stringify(e)}`)}`;function hn({route:e}){let t=e.args[0];return t?i`<${lo} key=${t} name=${t} />`:i`<${ao} />`}function ao(){let e=M("/systems",Le),[t,n]=g(),[s,r]=g();S(()=>{if(!e.data)return;let a=e.data.results,d=new Set(a.flatMap(p=>p.systems)),u=a.filter(p=>!d.has(p.name));Promise.all(u.map(p=>w(`/systems/${_(p.name)}/rollup?depth=${ro}`))).then(p=>{n(p),r(void 0)}).catch(p=>r(L(p)))},[e.data]);let o=e.error??s;return i`
    <h1>Systems</h1>
    <p class="meta">Things, connected, not converged, conflicts, unreachable and open alarms below each system (a thing counts once). Refreshed every ${Le/1e3} s.</p>
    ${o?i`<p class="error" role="alert">${o}</p>`:null}
    ${t===void 0?o?null:i`<p>Loading systems…</p>`:t.length===0?i`<p class="empty">No systems yet: <code>umbra systems set &lt;name&gt; …</code> (docs/fleet.md).</p>`:i`<${gn} rows=${t.flatMap(a=>ct(a,0))} caption="Systems and their roll-ups" />`}
  `}function ct(e,t){let n="systems"in e?e.systems:[];return[{r:e,level:t},...n.flatMap(s=>ct(s,t+1))]}function gn({rows:e,caption:t}){return i`<div class="scroll" tabindex="0"><table data-testid="systems-table">
    <caption class="sr-only">${t}</caption>
    <thead><tr>
      <th scope="col">System</th><th scope="col">Things</th><th scope="col">Connected</th><th scope="col">Not converged</th>
      <th scope="col">Oldest delta</th><th scope="col">Conflicts</th><th scope="col">Unreachable</th><th scope="col">Open alarms</th>
    </tr></thead>
    <tbody>${e.map(({r:n,level:s})=>{let r="things"in n?n:void 0;return i`<tr key=${`${s}/${n.name}`} data-system=${n.name}>
        <th scope="row" style=${`padding-left: ${.5+s*1.25}rem`}><a href=${fn(n.name)}>${s>0?"\u2514 ":""}${n.name}</a></th>
        ${r?i`<td data-col="things">${r.things}</td><td data-col="connected">${r.connected}</td>
              <td data-col="notConverged">${r.notConverged>0?i`<span class="badge warn">${r.notConverged}</span>`:0}</td>
              <td>${r.oldestDeltaSeconds>0?le(r.oldestDeltaSeconds*1e3):"\u2014"}</td>
              <td data-col="conflicts">${r.conflicts>0?i`<span class="badge bad">${r.conflicts}</span>`:0}</td>
              <td data-col="unreachable">${r.unreachable>0?i`<span class="badge bad">${r.unreachable}</span>`:0}</td>
              <td data-col="alarms">${r.alarms?r.alarms.open>0?i`<a class="badge bad" href=${`#/alarms?system=${_(n.name)}`}>${r.alarms.open}</a>`:0:"\u2014"}</td>`:i`<td colspan="7">deeper than shown: open the system</td>`}
      </tr>`})}</tbody>
  </table></div>`}function lo({name:e}){let t=M(`/systems/${_(e)}`,Le),n=M(`/systems/${_(e)}/rollup?depth=1`,Le),s=t.error??n.error;return i`
    <p class="crumbs"><a href="#/systems">Systems</a> / ${e}</p>
    <h1>${e}</h1>
    ${s?i`<p class="error" role="alert">${s}</p>`:null}
    ${t.data?.description?i`<p>${t.data.description}</p>`:null}
    <p class="links">
      <a href=${io(e)}>Its things in the fleet</a> ·
      <a href=${`#/alarms?system=${_(e)}`}>Its alarms</a> ·
      <a href=${`#/review/${_(e)}`}>Review</a>
    </p>
    ${n.data?i`<${gn} rows=${ct(n.data,0)} caption=${`Roll-up of ${e} and its subsystems`} />`:s?null:i`<p>Loading…</p>`}
    ${t.data?i`<dl class="facts">
          <dt>Query</dt><dd>${t.data.query?i`<code>${t.data.query}</code>`:"\u2014"}</dd>
          <dt>Things named</dt><dd>${t.data.things.length>0?t.data.things.join(", "):"\u2014"}</dd>
          <dt>Subsystems</dt><dd>${t.data.systems.length>0?t.data.systems.map((r,o)=>i`${o>0?", ":""}<a href=${fn(r)}>${r}</a>`):"\u2014"}</dd>
        </dl>`:null}
  `}function $n({thing:e,shadow:t,doc:n}){let[s,r]=g(()=>j(n?.state.desired??{})),[o,a]=g(n?.version),[d,u]=g(!1),[p,c]=g(!0),[m,h]=g();return S(()=>{d||(r(j(n?.state.desired??{})),a(n?.version))},[n,d]),i`<form class="card editor" onSubmit=${async f=>{f.preventDefault();let $;try{$=JSON.parse(s)}catch(v){h({kind:"error",text:`Not valid JSON: ${v.message}`});return}let b={state:{desired:$}};p&&o!==void 0&&(b.version=o);try{let v=await w(`/things/${_(e)}/shadow${t?`?name=${_(t)}`:""}`,{method:"POST",body:b});h({kind:"ok",text:`Accepted: version ${v.version}`}),u(!1)}catch(v){v instanceof E&&v.status===409?h({kind:"conflict",text:`Version conflict (409): you edited version ${o}, but the shadow is now at version ${n?.version??"?"}. Nothing was changed. Reload the current desired state and apply your edit again.`}):h({kind:"error",text:v instanceof E?`${v.status}: ${v.message}`:String(v)})}}} aria-labelledby="edit-title" data-testid="desired-editor">
    <h2 id="edit-title">Edit desired</h2>
    <label for="desired-json"><span>Desired state (JSON, merged: <code>null</code> deletes a key)</span></label>
    <textarea id="desired-json" rows="8" spellcheck="false" value=${s}
      onInput=${f=>{r(f.target.value),u(!0)}}></textarea>
    <div class="row">
      <label class="inline"><input type="checkbox" checked=${p} onChange=${f=>c(f.target.checked)} />
        Only if still at version ${o??"\u2014"}</label>
      <button type="submit" class="primary">Save desired</button>
      ${d?i`<button type="button" onClick=${()=>{u(!1),h(void 0)}}>Reload current</button>`:null}
    </div>
    ${m?i`<p class=${m.kind==="ok"?"ok":"error"} role=${m.kind==="ok"?"status":"alert"} data-testid="save-status">${m.text}</p>`:null}
  </form>`}var $e=(e,t)=>[e,...t].join(".");function bn(e){let t=[];for(let n of["desired","reported"])for(let s of e[n]??[])t.push(s.op==="set"?`${$e(n,s.path)} = ${JSON.stringify(s.value)}`:`${$e(n,s.path)} deleted`);return t}function De(e){return e.identity?`${e.identity.name} (${e.identity.role})`:e.kind==="merge"?"merged":"\u2014"}function Ne(e){return`${e.site??"\u2014"}${e.via?` via ${e.via}`:""}`}function Me(e){return e.replace("T"," ").replace(/\.\d+Z$/,"Z")}function _n({thing:e,shadow:t,version:n}){let s=t?`?name=${_(t)}`:"",{data:r,error:o,reload:a}=M(`/things/${_(e)}/shadow/blame${s}`),d=Y(n);if(S(()=>{d.current!==n&&a(),d.current=n},[n]),o)return i`<p class="error" role="alert">${o}</p>`;if(!r)return i`<p>Loading blame…</p>`;let u=[...(r.desired??[]).map(p=>({section:"desired",l:p})),...(r.reported??[]).map(p=>({section:"reported",l:p}))];return u.length===0?i`<p class="empty">No leaves.</p>`:i`<div class="scroll" tabindex="0"><table data-testid="blame-table">
    <caption class="sr-only">Who last wrote each leaf</caption>
    <thead><tr><th scope="col">Leaf</th><th scope="col">Value</th><th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th><th scope="col">Client token</th></tr></thead>
    <tbody>${u.map(({section:p,l:c})=>{let m=[p,...c.path].join("."),h=c.change;return i`<tr key=${m} data-leaf=${m}>
        <th scope="row"><code>${m}</code></th>
        <td>${JSON.stringify(c.value)}</td>
        ${h?i`<td>${h.version}</td><td>${Me(h.time)}</td><td>${De(h)}</td><td>${Ne(h)}</td><td><code>${h.clientToken??"\u2014"}</code></td>`:i`<td colspan="5">${c.pruned?"pruned by retention":"\u2014"}</td>`}
      </tr>`})}</tbody>
  </table></div>`}var yn=e=>e===void 0?i`<span class="empty">absent</span>`:JSON.stringify(e);function vn(e){let{thing:t,shadow:n,from:s,to:r,onClose:o}=e,a=n?`&name=${_(n)}`:"",{data:d,error:u}=M(`/things/${_(t)}/shadow/diff?from=${_(s)}&to=${_(r)}${a}`),p=d?[...d.desired.map(c=>({leaf:$e("desired",c.path),c})),...d.reported.map(c=>({leaf:$e("reported",c.path),c}))]:[];return i`<section class="panel wide" aria-labelledby="h-diff" data-testid="diff">
    <h3 id="h-diff">Diff ${d?`v${d.from.version} \u2192 v${d.to.version}`:`${s} \u2192 ${r}`}</h3>
    ${u?i`<p class="error" role="alert">${u}</p>`:null}
    ${d?p.length===0?i`<p class="empty">No leaf differs.</p>`:i`<table><caption class="sr-only">Leaves that differ</caption>
            <thead><tr><th scope="col">Leaf</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
            <tbody>${p.map(({leaf:c,c:m})=>i`<tr key=${c}><th scope="row"><code>${c}</code></th><td class="before">${yn(m.before)}</td><td class="after">${yn(m.after)}</td></tr>`)}</tbody>
          </table>`:u?null:i`<p>Loading…</p>`}
    <button onClick=${o}>Close</button>
  </section>`}var wn=20;function Sn({thing:e,shadow:t,version:n}){let[s,r]=g(),[o,a]=g(),[d,u]=g(),[p,c]=g(),[m,h]=g(),[l,f]=g("timeline"),$=t?`&name=${_(t)}`:"",b=`/things/${_(e)}/shadow`;S(()=>{let y=!1;return w(`${b}/history?limit=${wn}${$}`).then(x=>{y||(r(x.records),a(x.nextCursor),u(void 0))}).catch(x=>!y&&u(L(x))),()=>{y=!0}},[e,t,n]);let v=()=>o&&w(`${b}/history?limit=${wn}${$}&cursor=${_(o)}`).then(y=>{r(x=>[...x??[],...y.records]),a(y.nextCursor)}).catch(y=>u(L(y)));return i`<section class="history" aria-labelledby="h-history" data-testid="history">
    <h2 id="h-history">History</h2>
    <nav class="tabs" aria-label="History views">
      <button aria-pressed=${l==="timeline"} onClick=${()=>f("timeline")}>Timeline</button>
      <button aria-pressed=${l==="blame"} onClick=${()=>f("blame")}>Blame</button>
    </nav>
    ${d?i`<p class="error" role="alert">${d}</p>`:null}
    ${l==="blame"?i`<${_n} thing=${e} shadow=${t} version=${n} />`:null}
    ${l==="timeline"&&s===void 0&&!d?i`<p>Loading history…</p>`:null}
    ${l==="timeline"&&s?i`
          <${uo} key=${`${e}/${t}`} latest=${s[0]?.version} onDiff=${(y,x)=>c({from:y,to:x})} />
          ${p?i`<${vn} thing=${e} shadow=${t} from=${p.from} to=${p.to} onClose=${()=>c(void 0)} />`:null}
          ${m!==void 0?i`<${po} thing=${e} shadow=${t} version=${m} onClose=${()=>h(void 0)} />`:null}
          ${s.length===0?i`<p class="empty">No change recorded.</p>`:i`<${co} records=${s} onDiff=${c} onView=${h} />`}
          ${o?i`<button onClick=${v}>Older changes</button>`:null}`:null}
  </section>`}function co(e){let{records:t,onDiff:n,onView:s}=e;return i`<div class="scroll" tabindex="0"><table data-testid="history-table">
    <caption class="sr-only">Changes of this shadow, newest first</caption>
    <thead><tr>
      <th scope="col">Version</th><th scope="col">When (UTC)</th><th scope="col">Who</th><th scope="col">Site</th>
      <th scope="col">Client token</th><th scope="col">What changed</th><th scope="col"><span class="sr-only">Actions</span></th>
    </tr></thead>
    <tbody>${t.map((r,o)=>{let a=t[o+1]?.version??(r.version>1?r.version-1:void 0);return i`<tr key=${r.version} data-version=${r.version}>
        <th scope="row">${r.version}</th>
        <td>${Me(r.time)}</td>
        <td>${De(r)}</td>
        <td>${Ne(r)}</td>
        <td><code>${r.clientToken??"\u2014"}</code></td>
        <td><ul class="ops">${bn(r).map(d=>i`<li>${d}</li>`)}${r.kind==="delete"?i`<li>shadow deleted</li>`:null}</ul></td>
        <td class="actions">
          <button onClick=${()=>s(r.version)}>View v${r.version}</button>
          ${a!==void 0?i`<button onClick=${()=>n({from:String(a),to:String(r.version)})}>Diff v${a}…v${r.version}</button>`:null}
        </td>
      </tr>`})}</tbody>
  </table></div>`}function uo({latest:e,onDiff:t}){let[n,s]=g(e&&e>1?String(e-1):"1"),[r,o]=g(e?String(e):"1");return i`<form class="toolbar" onSubmit=${a=>{a.preventDefault(),t(n.trim(),r.trim())}}>
    <label>Compare version or time <input name="from" value=${n} size="22" onInput=${a=>s(a.target.value)} /></label>
    <label>with <input name="to" value=${r} size="22" onInput=${a=>o(a.target.value)} /></label>
    <button type="submit">Show diff</button>
  </form>`}function po(e){let{thing:t,shadow:n,version:s,onClose:r}=e,[o,a]=g(),[d,u]=g();return S(()=>{a(void 0),w(`/things/${_(t)}/shadow?at=${s}${n?`&name=${_(n)}`:""}`).then(p=>{a(p),u(void 0)}).catch(p=>u(L(p)))},[t,n,s]),i`<section class="panel wide" aria-labelledby="h-aswas" data-testid="as-it-was">
    <h3 id="h-aswas">The shadow as it was at version ${s}</h3>
    ${d?i`<p class="error" role="alert">${d}</p>`:null}
    ${o?i`<div class="panels">
          <div><h4>Desired</h4><pre tabindex="0">${j(o.state.desired)||"empty"}</pre></div>
          <div><h4>Reported</h4><pre tabindex="0">${j(o.state.reported)||"empty"}</pre></div>
          <div><h4>Delta</h4><pre tabindex="0">${j(o.state.delta)||"in sync"}</pre></div>
        </div>`:d?null:i`<p>Loading…</p>`}
    <button onClick=${r}>Close</button>
  </section>`}var de=720,K=200,R={left:56,right:12,top:10,bottom:24};function xn({points:e,from:t,to:n,label:s,onSelect:r}){let[o,a]=g();if(e.length===0)return i`<p class="empty">No samples in this range.</p>`;let d=e.map($=>$[1]),u=Math.min(...d),p=Math.max(...d);u===p&&(u-=1,p+=1);let c=$=>R.left+($-t)/(n-t)*(de-R.left-R.right),m=$=>R.top+(1-($-u)/(p-u))*(K-R.top-R.bottom),h=e.map(($,b)=>`${b===0?"M":"L"}${c($[0]).toFixed(1)},${m($[1]).toFixed(1)}`).join(""),l=($,b)=>{let v=b.getBoundingClientRect(),y=($-v.left)/v.width*de;return t+(y-R.left)/(de-R.left-R.right)*(n-t)},f=e[e.length-1];return i`<figure class="chart">
    <svg viewBox=${`0 0 ${de} ${K}`} role="img" aria-label=${`${s}: ${e.length} points, last ${f[1]}`}
      onPointerDown=${$=>{let b=l($.clientX,$.currentTarget);a({a:b,b})}}
      onPointerMove=${$=>o&&a({a:o.a,b:l($.clientX,$.currentTarget)})}
      onPointerUp=${()=>{o&&Math.abs(o.b-o.a)>(n-t)/100&&r(Math.min(o.a,o.b),Math.max(o.a,o.b)),a(void 0)}}>
      <line x1=${R.left} y1=${K-R.bottom} x2=${de-R.right} y2=${K-R.bottom} class="axis" />
      <line x1=${R.left} y1=${R.top} x2=${R.left} y2=${K-R.bottom} class="axis" />
      <text x=${R.left-6} y=${R.top+10} text-anchor="end" class="tick">${kn(p)}</text>
      <text x=${R.left-6} y=${K-R.bottom} text-anchor="end" class="tick">${kn(u)}</text>
      <text x=${R.left} y=${K-6} class="tick">${new Date(t).toLocaleTimeString()}</text>
      <text x=${de-R.right} y=${K-6} text-anchor="end" class="tick">${new Date(n).toLocaleTimeString()}</text>
      <path d=${h} class="line" />
      ${o?i`<rect class="selection" x=${c(Math.min(o.a,o.b))} y=${R.top} width=${Math.abs(c(o.b)-c(o.a))} height=${K-R.top-R.bottom} />`:null}
    </svg>
    <figcaption class="hint">Drag across the chart to zoom into a range.</figcaption>
  </figure>`}function kn(e){return Math.abs(e)>=1e3||Number.isInteger(e)?String(Math.round(e)):e.toPrecision(4)}var Tn=[{label:"15 min",ms:15*6e4},{label:"1 h",ms:36e5},{label:"6 h",ms:6*36e5},{label:"24 h",ms:24*36e5},{label:"7 d",ms:168*36e5}];function Pn({thing:e}){let[t,n]=g(),[s,r]=g(),[o,a]=g(),[d,u]=g(()=>Cn(Tn[1])),[p,c]=g();return S(()=>{w(`/things/${_(e)}/telemetry/latest`).then(m=>{let h=Object.keys(m.metrics).sort();n(h),a(l=>l??h[0])}).catch(m=>r(m instanceof E&&m.status===404?"Telemetry is not enabled on this node.":String(m.message)))},[e]),S(()=>{o&&w(`/things/${_(e)}/telemetry?metric=${_(o)}&from=${Math.floor(d.from)}&to=${Math.ceil(d.to)}`).then(m=>{let h=(m.series[0]?.points??[]).map(l=>Array.isArray(l)?[l[0],l[1]]:[l.ts,l.avg]);c({points:h,step:m.step})}).catch(()=>c({points:[],step:"?"}))},[e,o,d]),i`<section class="card telemetry" aria-labelledby="telemetry-title" data-testid="telemetry">
    <h2 id="telemetry-title">Telemetry</h2>
    ${s?i`<p class="empty">${s}</p>`:null}
    ${t&&t.length===0?i`<p class="empty">No telemetry from this thing yet.</p>`:null}
    ${t&&t.length>0?i`<div class="row">
            <label>Metric
              <select value=${o} onChange=${m=>a(m.target.value)}>
                ${t.map(m=>i`<option value=${m}>${m}</option>`)}
              </select>
            </label>
            <span role="group" aria-label="Time range" class="ranges">
              ${Tn.map(m=>i`<button type="button" aria-pressed=${d.label===m.label} onClick=${()=>u(Cn(m))}>${m.label}</button>`)}
            </span>
          </div>
          <p class="meta">${new Date(d.from).toLocaleString()} – ${new Date(d.to).toLocaleString()}
            ${p?` \xB7 step ${p.step} \xB7 ${p.points.length} points`:""}</p>
          ${p?i`<${xn} points=${p.points} from=${d.from} to=${d.to} label=${`${o} over time`}
                onSelect=${(m,h)=>u({from:m,to:h,label:"custom"})} />`:i`<p>Loading…</p>`}`:null}
  </section>`}function Cn(e){let t=Date.now();return{from:t-e.ms,to:t,label:e.label}}function En({route:e,session:t}){let n=e.args[0]??"",s=e.query.get("shadow")??"",[r,o]=g({kind:"loading"}),[a,d]=g([]),[u,p]=g(),c=s?`?name=${_(s)}`:"";return S(()=>{w(`/things/${_(n)}/shadows`).then(m=>d(m.results)).catch(()=>d([]))},[n]),S(()=>{o({kind:"loading"});let m=-1,h=f=>{f.version<m||(m=f.version,f.connection&&p(f.connection),o({kind:"ok",doc:f}))};w(`/things/${_(n)}/shadow${c}`).then(h).catch(f=>{f instanceof E&&f.status===404?o($=>$.kind==="ok"?$:{kind:"missing"}):o({kind:"error",message:f instanceof E?f.message:String(f)})});let l=new EventSource(`/things/${_(n)}/shadow/events${c}`);return l.addEventListener("shadow",f=>h(JSON.parse(f.data))),l.addEventListener("deleted",f=>{m=JSON.parse(f.data).version,o({kind:"missing"})}),()=>l.close()},[n,s]),ae(m=>{m.type==="presence"&&m.data.thing===n&&p(m.data.connection)},[n]),i`
    <p class="crumbs"><a href="#/">Fleet</a> / ${n}</p>
    <h1>${n}</h1>
    <section class="presence" aria-label="Presence" data-testid="presence">
      ${Re(u)}
      ${u?i` at site <strong>${u.site}</strong> since ${N(u.since)} (${z(u.since)})`:null}
    </section>
    <nav class="tabs" aria-label="Shadows of this thing">
      <a href=${q(n)} aria-current=${s===""?"page":void 0}>classic</a>
      ${a.map(m=>i`<a href=${q(n,m)} aria-current=${s===m?"page":void 0}>${m}</a>`)}
    </nav>
    ${mo(r,n,s,J(t))}
    <${Pn} thing=${n} />
    <${Sn} thing=${n} shadow=${s} version=${r.kind==="ok"?r.doc.version:void 0} />
  `}function mo(e,t,n,s){if(e.kind==="loading")return i`<p>Loading shadow…</p>`;if(e.kind==="error")return i`<p class="error" role="alert">${e.message}</p>`;let r=e.kind==="ok"?e.doc:void 0;return i`
    ${r?i`<p class="meta" data-testid="version">Version <strong>${r.version}</strong></p>`:i`<p class="empty">This shadow does not exist yet.</p>`}
    ${r?i`<div class="panels">
          <${be} title="Desired" value=${r.state.desired} id="desired" />
          <${be} title="Reported" value=${r.state.reported} id="reported" />
          <${be} title="Delta" value=${r.state.delta} id="delta" empty="In sync: nothing pending" />
          <${be} title="Metadata" value=${r.metadata} id="metadata" />
          ${r.conflicts?i`<${be} title="Conflicts" value=${r.conflicts} id="conflicts" />`:null}
        </div>`:null}
    ${s?i`<${$n} key=${`${t}/${n}`} thing=${t} shadow=${n} doc=${r} />`:null}
  `}function be({title:e,value:t,id:n,empty:s}){return i`<section class="panel" aria-labelledby=${`h-${n}`} data-testid=${`panel-${n}`}>
    <h2 id=${`h-${n}`}>${e}</h2>
    ${t===void 0?i`<p class="empty">${s??"empty"}</p>`:i`<pre tabindex="0">${j(t)}</pre>`}
  </section>`}var Oe=[{page:"",title:"Fleet",nav:!0,component:on},{page:"things",title:"Thing",nav:!1,component:En},{page:"systems",title:"Systems",nav:!0,component:hn},{page:"conflicts",title:"Conflicts",nav:!0,component:Zt},{page:"alarms",title:"Alarms",nav:!0,component:Qt},{page:"review",title:"Review",nav:!1,component:un},{page:"jobs",title:"Jobs",nav:!0,component:cn},{page:"sites",title:"Sites",nav:!0,component:mn},{page:"identities",title:"Identities",nav:!0,component:rn}];function Rn(){let[e,t]=g({kind:"loading"}),n=()=>Ft().then(s=>t({kind:"in",session:s})).catch(s=>t(s instanceof E&&s.status!==0?{kind:"signed-out"}:{kind:"unreachable"}));return S(()=>{qt(()=>{ne.stop(),t({kind:"signed-out",reason:"Your session ended; sign in again."})}),n()},[]),S(()=>{e.kind==="in"&&ne.start()},[e.kind]),e.kind==="loading"?i`<main class="centered"><p>Loading…</p></main>`:e.kind==="unreachable"?i`<main class="centered">
      <div class="banner error" role="alert">The node does not answer. It may be restarting or unreachable.</div>
      <button onClick=${n}>Try again</button>
    </main>`:e.kind==="signed-out"?i`<${Bt} reason=${e.reason} onSignedIn=${s=>t({kind:"in",session:s})} />`:i`<${fo}
    session=${e.session}
    onSignOut=${async()=>{ne.stop(),await Jt(),t({kind:"signed-out"})}}
  />`}function fo({session:e,onSignOut:t}){let n=zt(),s=It(),r=Oe.find(o=>o.page===n.page)??Oe[0];return S(()=>{document.title=`${r.title} \xB7 Umbra`},[r]),i`
    <header class="top">
      <span class="brand">Umbra</span>
      <nav aria-label="Pages">
        ${Oe.filter(o=>o.nav).map(o=>i`<a href=${`#/${o.page}`} aria-current=${o===r||r.page==="things"&&o.page===""?"page":void 0}>${o.title}</a>`)}
      </nav>
      <span class="who">
        <span class=${`link ${s}`} data-link=${s}>${s==="live"?"\u25CF live":s==="lost"?"\u25CF offline":"\u25CF connecting"}</span>
        ${e.name} <span class="role">${e.role}</span>
        ${e.anonymous?null:i`<button class="quiet" onClick=${t}>Sign out</button>`}
      </span>
    </header>
    ${s==="lost"?i`<div class="banner error" role="alert" data-testid="node-lost">
            Lost contact with the node. Showing the last known state; retrying…
          </div>`:null}
    <main id="main">
      <${r.component} route=${n} session=${e} />
    </main>
  `}var An=document.getElementById("app");An&&ze(i`<${Rn} />`,An);
